import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';
import { createClusterDatabase, citusSuite } from '../support/citus.js';
import { byNode, readRunResults, runCli } from '../support/cli.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { suiteFolders, writeFiles } from '../support/files.js';

/** Every materialization, placed every way, over a landing table the test changes between runs. */
const project = {
  'models/marts/items_hash.sql': '{{config materialized="table" distributed_by="id"}}\nselect id, grp, name, amount from landing.items',
  'models/marts/items_view.sql': '{{config materialized="view"}}\nselect id, name from {{ref "items_hash"}} where amount > 0',
  'models/marts/items_ref.sql': '{{config materialized="table" distribution="reference"}}\nselect id, name from {{ref "items_hash"}}',
  'models/marts/items_local.sql': '{{config materialized="table"}}\nselect id, upper(name) as name from {{ref "items_hash"}}',
  // keyed by id, placed by grp: an item that changes group moves to other shards
  'models/marts/by_group.sql': '{{config materialized="incremental" unique_key="id" distributed_by="grp"}}\n' +
    'select id, grp, amount from {{ref "items_hash"}}',
  'models/marts/grp_totals.sql': '{{config materialized="table" distribution="reference"}}\n' +
    'select grp, sum(amount) as total, count(*) as n from {{ref "by_group"}} group by grp',
  'models/snapshots/history.sql': '{{config materialized="snapshot" unique_key="id" distributed_by="id" check_cols="name, amount" ' +
    'hard_deletes="new_record" surrogate_key="history_key"}}\nselect id, name, amount from {{ref "items_hash"}}',
  'models/marts/schema.yml': 'models:\n  - name: by_group\n    columns:\n      - name: id\n        tests: [unique, not_null]\n' +
    '  - name: history\n    tests:\n      - scd2_valid: { unique_key: id, valid_from: effective_start_date, valid_to: effective_end_date, current_flag: is_current }\n',
};

const tables = (sql: postgres.Sql) => Promise.all([
  sql`select id, grp, name, amount::text from analytics.items_hash order by id`,
  sql`select id, name from analytics.items_view order by id`,
  sql`select id, name from analytics.items_ref order by id`,
  sql`select id, name from analytics.items_local order by id`,
  sql`select id, grp, amount::text from analytics.by_group order by id`,
  sql`select grp, total::text, n::int from analytics.grp_totals order by grp`,
  sql`select id, name, amount::text, effective_end_date is null as open, is_current from analytics.history order by id, effective_start_date`,
]);

/**
 * Each materialization (table, view, incremental, snapshot with hard deletes), hash-distributed, a
 * reference table or on the coordinator, gives on the cluster what it gives on PostgreSQL, run after
 * run; and the commands that read a project (selection, show, docs, snapshot) work there.
 */
describe('citus: every materialization, placed every way, as on PostgreSQL', function () {
  citusSuite(this);
  this.timeout(300_000);
  const folders = suiteFolders('sadp-citus-project-');
  let dir: string;
  let cluster: TestDatabase;
  let single: TestDatabase;
  const landing = `create schema if not exists landing;
    create table landing.items (id int, grp int, name text, amount numeric(12, 2));
    insert into landing.items values (1, 1, 'a', 10), (2, 1, 'b', 20), (3, 2, 'c', 30), (4, 3, 'd', 0)`;
  const build = async (more: string[] = []) => {
    for (const db of [single, cluster]) {
      const run = await runCli(['build-models', '--project-dir', dir, ...more], { DATABASE_URL: db.url });
      expect(run.code, run.stderr.slice(-3000)).to.equal(0);
    }
  };
  const change = (statements: string) => Promise.all([single.sql.unsafe(statements), cluster.sql.unsafe(statements)]);

  before(async () => {
    dir = folders(project);
    [cluster, single] = await Promise.all([createClusterDatabase(), createDatabase({ bigintAsText: true })]);
    await single.sql.unsafe(landing);
    await cluster.sql.unsafe(`${landing}; select create_distributed_table('landing.items', 'id')`);
  });
  after(async () => {
    await Promise.all([cluster?.drop(), single?.drop()]);
  });

  it('should build each model as on PostgreSQL, placed as its config says', async () => {
    await build();
    expect(await tables(cluster.sql)).to.deep.equal(await tables(single.sql));
    const placed = await cluster.sql`select logicalrelid::regclass::text as t, partmethod,
        case when partmethod = 'h' then column_to_column_name(logicalrelid, partkey) end as by
      from pg_dist_partition where logicalrelid::regclass::text like 'analytics.%' order by 1`;
    expect(placed.map((p) => `${p.t} ${p.partmethod} ${p.by ?? ''}`.trim())).to.deep.equal([
      'analytics.by_group h grp', 'analytics.grp_totals n', 'analytics.history h id', 'analytics.items_hash h id', 'analytics.items_ref n']);
  });

  it('should follow changes, moves between shards and deletions run after run, as on PostgreSQL', async () => {
    await change(`update landing.items set name = 'a2', grp = 3 where id = 1;
      delete from landing.items where id = 2; insert into landing.items values (5, 2, 'e', 50)`);
    await build();
    expect(await tables(cluster.sql)).to.deep.equal(await tables(single.sql));
    await build();
    const twice = await tables(cluster.sql);
    expect(twice).to.deep.equal(await tables(single.sql));
    expect(twice[6].filter((r) => r.id === 2)).to.deep.equal([
      { id: 2, name: 'b', amount: '20.00', open: false, is_current: false },
      { id: 2, name: null, amount: null, open: true, is_current: true }]);
    await build(['--full-refresh']);
    expect((await tables(cluster.sql)).slice(0, 6)).to.deep.equal((await tables(single.sql)).slice(0, 6));
  });

  it('should build what --select names and no more', async () => {
    const run = await runCli(['build-models', '--project-dir', dir, '--select', '+by_group'], { DATABASE_URL: cluster.url });
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    const built = readRunResults(dir).results.filter((r) => r.kind === 'model').map((r) => r.node).sort();
    expect(built).to.deep.equal(['by_group', 'items_hash']);
  });

  it('should run the snapshot command, show a model and write the docs against the cluster', async () => {
    const env = { DATABASE_URL: cluster.url };
    const snapshot = await runCli(['snapshot', '--project-dir', dir], env);
    expect(snapshot.code, snapshot.stderr.slice(-2000)).to.equal(0);
    expect(readRunResults(dir).results.filter((r) => r.kind === 'model').map((r) => r.node).sort()).to.deep.equal(['history', 'items_hash']);
    const show = await runCli(['show', 'by_group', '--project-dir', dir, '--limit', '2'], env);
    expect(show.code, show.stderr).to.equal(0);
    expect(show.stdout).to.match(/grp/);
    const docs = await runCli(['docs', '--project-dir', dir], env);
    expect(docs.code, docs.stderr).to.equal(0);
    expect(existsSync(join(dir, 'target', 'docs', 'index.html'))).to.equal(true);
  });

  it('should change the columns of an incremental model and a snapshot as on PostgreSQL (on_schema_change)', async () => {
    const byGroup = (config: string, columns: string) => writeFiles(dir, { 'models/marts/by_group.sql':
      `{{config materialized="incremental" unique_key="id" distributed_by="grp"${config}}}\nselect ${columns} from {{ref "items_hash"}}` });
    const rows = (db: TestDatabase) => Promise.all([
      db.sql.unsafe(`select column_name from information_schema.columns where table_schema = 'analytics' and table_name = 'by_group' order by ordinal_position`),
      db.sql.unsafe('select * from analytics.by_group order by id'),
      db.sql.unsafe(`select id, name, amount::text, grp, effective_end_date is null as open, is_current from analytics.history order by id, effective_start_date`),
    ]);
    byGroup('', 'id, grp, amount, name');
    for (const db of [single, cluster]) {
      const failed = await runCli(['build-models', '--project-dir', dir, '--select', 'by_group'], { DATABASE_URL: db.url });
      expect(failed.code, failed.stderr.slice(-2000)).to.equal(1);
      expect(byNode(readRunResults(dir).results).get('by_group')!.message).to.match(/added: +"name" text/);
    }
    byGroup(' on_schema_change="append_new_columns"', 'id, grp, amount, name');
    writeFiles(dir, { 'models/snapshots/history.sql': '{{config materialized="snapshot" unique_key="id" distributed_by="id" check_cols="name, amount, grp" ' +
      'hard_deletes="new_record" surrogate_key="history_key" on_schema_change="append_new_columns"}}\nselect id, name, amount, grp from {{ref "items_hash"}}' });
    await change(`update landing.items set name = 'e2' where id = 5`);
    await build();
    const appended = await rows(cluster);
    expect(appended).to.deep.equal(await rows(single));
    expect(appended[0].map((c) => c.column_name)).to.deep.equal(['id', 'grp', 'amount', 'name']);
    expect(appended[1].find((r) => r.id === 5)).to.include({ name: 'e2' });
    byGroup(' on_schema_change="sync_all_columns"', 'id, grp, amount');
    await build();
    const synced = await rows(cluster);
    expect(synced).to.deep.equal(await rows(single));
    expect(synced[0].map((c) => c.column_name)).to.deep.equal(['id', 'grp', 'amount']);
  });
});
