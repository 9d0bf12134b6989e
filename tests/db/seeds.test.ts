import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../runner/src/db/connection.js';
import { collectingLogger } from '../../runner/src/log.js';
import { loadSeeds } from '../../runner/src/ingest/seeds.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { writeFiles } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';

describe('seeds: loading seeds/<name>.csv', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let sql: Sql;
  let dir: string;
  const load = () => loadSeeds({ sql, seedsDir: dir, logger: collectingLogger() });
  const rows = (query: string) => sql.unsafe(query) as Promise<Record<string, unknown>[]>;

  before(async () => {
    db = await createDatabase();
    sql = db.sql as unknown as Sql;
    dir = mkdtempSync(join(tmpdir(), 'sadp-seeds-'));
  });
  after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should load each seed into a table of text columns named by its header', async () => {
    writeFiles(dir, {
      'regions.csv': '\uFEFFregion,"manager, name"\nNorth,Ann\nSouth,"Bo, Jr."\n',
      'tiers.csv': 'tier,rank\nBronze,1\n',
      'notes.txt': 'not a seed',
    });
    expect(await load()).to.deep.equal([{ name: 'regions', rows: 2, loaded: true }, { name: 'tiers', rows: 1, loaded: true }]);
    expect(await rows('select * from seeds.regions order by region')).to.deep.equal([
      { region: 'North', 'manager, name': 'Ann' }, { region: 'South', 'manager, name': 'Bo, Jr.' },
    ]);
    const types = await rows(`select distinct data_type from information_schema.columns where table_schema = 'seeds'`);
    expect(types).to.deep.equal([{ data_type: 'text' }]);
  });

  it('should leave an unchanged seed alone', async () => {
    await sql.unsafe(`insert into seeds.tiers values ('marker', '0')`);
    expect(await load()).to.deep.equal([{ name: 'regions', rows: 2, loaded: false }, { name: 'tiers', rows: 1, loaded: false }]);
    expect((await rows(`select count(*)::int as n from seeds.tiers`))[0].n).to.equal(2);
  });

  it('should replace a changed seed, keeping the views that depend on it', async () => {
    await sql.unsafe('create view public.top_tiers as select tier from seeds.tiers');
    writeFiles(dir, { 'tiers.csv': 'tier,rank\nSilver,2\nGold,3\n' });
    expect(await load()).to.deep.equal([{ name: 'regions', rows: 2, loaded: false }, { name: 'tiers', rows: 2, loaded: true }]);
    expect(await rows('select tier from public.top_tiers order by tier')).to.deep.equal([{ tier: 'Gold' }, { tier: 'Silver' }]);
    expect((await rows(`select count(*)::int as n from pg_tables where tablename like '\\_sadp\\_new%'`))[0].n).to.equal(0);
  });

  it('should rebuild a seed without dependents under a new table, with its new columns', async () => {
    writeFiles(dir, { 'regions.csv': 'region,manager,country\nWest,Cy,NL\n' });
    await load();
    expect(await rows('select * from seeds.regions')).to.deep.equal([{ region: 'West', manager: 'Cy', country: 'NL' }]);
  });

  it('should refuse to change the columns of a seed that views depend on, naming it, and change nothing', async () => {
    writeFiles(dir, { 'tiers.csv': 'tier_name,rank\nGold,3\n' });
    let error: unknown;
    try {
      await load();
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('exitCode', 2);
    expect((error as Error).message).to.match(/seed "tiers" changed its columns, but views depend on seeds.tiers/);
    expect((await rows('select count(*)::int as n from seeds.tiers'))[0].n).to.equal(2);
  });

  it('should name the seed file and the line of a malformed record', async () => {
    writeFiles(dir, { 'tiers.csv': 'tier,rank\nGold,3\nSilver,2,extra\n' });
    let error: unknown;
    try {
      await load();
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.match(/seed file "seeds\/tiers.csv" could not be loaded: .*line 3/);
  });

  it('should load nothing when there is no seeds folder', async () => {
    expect(await loadSeeds({ sql, seedsDir: join(dir, 'missing'), logger: collectingLogger() })).to.deep.equal([]);
  });

  it('should load the seeds of a project that has no landing sources, before its models read them', async () => {
    const project = mkdtempSync(join(tmpdir(), 'sadp-seeds-only-'));
    try {
      writeFiles(project, {
        'seeds/regions.csv': 'region,manager\nNorth,Ann\n',
        'models/marts/region_managers.sql': '{{config materialized="table"}}\nselect region, manager from {{source "seeds" "regions"}}\n',
      });
      const summary = await runPipeline({ projectDir: project, command: 'build-models', databaseUrl: db.url, logger: collectingLogger() });
      expect(summary.status).to.equal('success');
      expect(await rows('select * from analytics.region_managers')).to.deep.equal([{ region: 'North', manager: 'Ann' }]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
