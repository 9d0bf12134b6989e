import { expect } from 'chai';
import { makeProject } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { byNode, overlaps, readRunResults, runCli } from '../support/cli.js';
import { dagFiles } from '../support/projects.js';

describe('runner: --select, --exclude and --threads on the command line', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dirs = suiteDatabase((d) => (db = d));

  const relations = async () =>
    (await db.sql`select table_name from information_schema.tables where table_schema in ('staging', 'analytics')`)
      .map((r) => r.table_name as string).sort();
  const builtModels = (dir: string) =>
    readRunResults(dir).results.filter((r) => r.kind === 'model').map((r) => r.node).sort();

  it('should build exactly the selected nodes minus the excluded ones', async () => {
    const dir = makeProject(dagFiles);
    dirs.push(dir);
    const first = await runCli(['build-models', '--project-dir', dir, '--select', '+int_ab tag:weekly', '--exclude', 'fact+'],
      { DATABASE_URL: db.url });
    expect(first.code, first.stderr).to.equal(0);
    expect(builtModels(dir)).to.deep.equal(['int_ab', 'lonely', 'stg_a', 'stg_b']);
    expect(await relations()).to.deep.equal(['int_ab', 'lonely', 'stg_a', 'stg_b']);

    const second = await runCli(['build-models', '--project-dir', dir, '--select', 'int_ab+', '--exclude', 'report'],
      { DATABASE_URL: db.url });
    expect(second.code, second.stderr).to.equal(0);
    expect(builtModels(dir)).to.deep.equal(['fact', 'int_ab']);
    expect(await relations()).to.deep.equal(['fact', 'int_ab', 'lonely', 'stg_a', 'stg_b']);
  });

  describe('two independent slow models', () => {
    let dir: string;
    const slow = 'select 1 as id from (select pg_sleep(1.5)) as pause';

    before(() => {
      dir = makeProject({ 'models/marts/slow_a.sql': slow, 'models/marts/slow_b.sql': slow });
      dirs.push(dir);
    });

    it('should overlap in time with --threads 2', async () => {
      const out = await runCli(['build-models', '--project-dir', dir, '--threads', '2'], { DATABASE_URL: db.url });
      expect(out.code, out.stderr).to.equal(0);
      const results = byNode(readRunResults(dir).results);
      expect(overlaps(results.get('slow_a')!, results.get('slow_b')!)).to.equal(true);
    });

    it('should run one after the other with --threads 1', async () => {
      const out = await runCli(['build-models', '--project-dir', dir, '--threads', '1'], { DATABASE_URL: db.url });
      expect(out.code, out.stderr).to.equal(0);
      const run = readRunResults(dir);
      const results = byNode(run.results);
      expect(overlaps(results.get('slow_a')!, results.get('slow_b')!)).to.equal(false);
      // the database agrees: the second node started after the first one's transaction
      const rows = await db.sql`select node, started_at from meta.node_runs where run_id = ${run.run_id} order by started_at`;
      expect(rows).to.have.length(2);
      expect(rows[1].started_at.getTime() - rows[0].started_at.getTime()).to.be.at.least(1400);
    });
  });
});
