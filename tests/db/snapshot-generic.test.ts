import { expect } from 'chai';
import { connect, type Database } from '../../runner/src/db/connection.js';
import { collectingLogger } from '../../runner/src/log.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { suiteFolders } from '../support/files.js';
import { createDatabase, type TestDatabase } from '../support/database.js';

/**
 * The snapshot materialization is generic (DESIGN.md §5, last paragraph): any unique_key, updated_at or
 * none (the run's time), check_cols, and hard_deletes for keys missing from a full extract.
 */
describe('snapshot materialization on any model', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  let db: Database;
  const folder = suiteFolders();

  const project = (hardDeletes: string) => folder({
    'models/staging/current_plans.sql': 'select account, plan, seats, note from landing.plans',
    'models/snapshots/plan_history.sql':
      `{{config materialized="snapshot" unique_key="account" check_cols="plan, seats" hard_deletes="${hardDeletes}"
         valid_from="valid_from" valid_to="valid_to" current_flag="is_current" surrogate_key="plan_key"}}
select account, plan, seats, note from {{ref "current_plans"}}`,
  });
  const build = (dir: string) => runPipeline({ projectDir: dir, command: 'build-models', db, logger: collectingLogger() });
  const history = () => db.sql`select account, plan, seats, note, valid_to is null as open, is_current
    from analytics.plan_history order by account, valid_from`;
  const keys = () => db.sql`select account, plan, plan_key from analytics.plan_history order by account, valid_from`;

  before(async () => {
    test = await createDatabase();
    db = await connect({ projectDir: '.', databaseUrl: test.url, logger: collectingLogger() });
  });
  after(async () => {
    await db.close();
    await test.drop();
  });
  beforeEach(async () => {
    await db.sql.unsafe(`drop schema if exists analytics cascade; drop schema if exists staging cascade;
      drop schema if exists landing cascade; create schema landing;
      create table landing.plans (account text, plan text, seats int, note text);
      insert into landing.plans values ('a', 'free', 1, 'x'), ('b', 'pro', 5, 'y')`);
    await db.sql.unsafe('truncate meta.node_runs, meta.node_state, meta.snapshot_changes').catch(() => {});
  });

  it('should create the table with a surrogate key and version rows at the run time without updated_at', async () => {
    const dir = project('ignore');
    expect((await build(dir)).exitCode).to.equal(0);
    expect(await history()).to.deep.equal([
      { account: 'a', plan: 'free', seats: 1, note: 'x', open: true, is_current: true },
      { account: 'b', plan: 'pro', seats: 5, note: 'y', open: true, is_current: true },
    ]);
    await db.sql`update landing.plans set seats = 6 where account = 'b'`;
    await db.sql`update landing.plans set note = 'changed, but not tracked' where account = 'a'`;
    const before = await keys();
    await build(dir);
    expect(await history()).to.deep.equal([
      { account: 'a', plan: 'free', seats: 1, note: 'x', open: true, is_current: true },
      { account: 'b', plan: 'pro', seats: 5, note: 'y', open: false, is_current: false },
      { account: 'b', plan: 'pro', seats: 6, note: 'y', open: true, is_current: true },
    ]);
    const after = await keys();
    expect(after[0].plan_key).to.equal(before[0].plan_key);
    expect(after[1].plan_key).to.equal(before[1].plan_key);
    await build(dir);
    expect(await history(), 'a rerun changes nothing').to.have.length(3);
  });

  it('should leave keys missing from the extract alone with hard_deletes="ignore"', async () => {
    const dir = project('ignore');
    await build(dir);
    await db.sql`delete from landing.plans where account = 'a'`;
    await build(dir);
    expect((await history()).filter((r) => r.account === 'a')).to.deep.equal(
      [{ account: 'a', plan: 'free', seats: 1, note: 'x', open: true, is_current: true }]);
  });

  it('should close the current version of a missing key with hard_deletes="invalidate"', async () => {
    const dir = project('invalidate');
    await build(dir);
    await db.sql`delete from landing.plans where account = 'a'`;
    await build(dir);
    await build(dir);
    expect((await history()).filter((r) => r.account === 'a')).to.deep.equal(
      [{ account: 'a', plan: 'free', seats: 1, note: 'x', open: false, is_current: false }]);
  });

  it('should open an empty current version for a missing key with hard_deletes="new_record", once', async () => {
    const dir = project('new_record');
    await build(dir);
    await db.sql`delete from landing.plans where account = 'a'`;
    await build(dir);
    await build(dir);
    expect((await history()).filter((r) => r.account === 'a')).to.deep.equal([
      { account: 'a', plan: 'free', seats: 1, note: 'x', open: false, is_current: false },
      { account: 'a', plan: null, seats: null, note: null, open: true, is_current: true },
    ]);
  });

  it('should record with each changed key from when its history changed (since), the whole history when its first version changed', async () => {
    // with a batch column a run recomputes only the keys with new events (here: every key, each run)
    await db.sql.unsafe(`create table landing.plan_events (account text, plan text, at timestamp, _batch_id int default 1);
      insert into landing.plan_events values ('a', 'free', '2025-01-01'), ('b', 'pro', '2025-01-01')`);
    const dir = folder({
      'models/snapshots/plan_versions.sql': `{{config materialized="snapshot" unique_key="account" updated_at="at"}}
select account, plan, at, _batch_id from landing.plan_events`,
    });
    const changes = async (run: number) => Object.fromEntries((await db.sql`select key, since from meta.snapshot_changes
      where snapshot = 'plan_versions' and run_id = (select max(run_id) from meta.runs) - ${run} order by key`).map((r) => [r.key, r.since]));
    expect((await build(dir)).exitCode).to.equal(0);
    expect(await changes(0), 'new keys: their whole history').to.deep.equal({ a: null, b: null });
    await db.sql`update landing.plan_events set plan = 'Free' where account = 'a'`;
    expect((await runPipeline({ projectDir: dir, command: 'build-models', db, logger: collectingLogger(), fullRefresh: true })).exitCode).to.equal(0);
    expect(await changes(0), 'a run that recomputes every key: the whole history of those it changed').to.deep.equal({ a: null });
    await db.sql`update landing.plan_events set plan = 'free' where account = 'a'`;
    await build(dir);
    expect(await changes(0)).to.deep.equal({ a: null });
    // a new current version of a; a version of b before its first; a new key c
    await db.sql`insert into landing.plan_events values ('a', 'pro', '2025-03-01'), ('b', 'basic', '2024-12-01'), ('c', 'free', '2025-02-01')`;
    await build(dir);
    expect(await changes(0)).to.deep.equal({ a: '2025-03-01 00:00:00', b: null, c: null });
    // a late event of a between its versions; the same plan again for b (no new version: not changed)
    await db.sql`insert into landing.plan_events values ('a', 'team', '2025-02-01'), ('b', 'pro', '2025-01-15')`;
    await build(dir);
    expect(await changes(0)).to.deep.equal({ a: '2025-02-01 00:00:00' });
    // an event that ends a's middle version sooner, and one that removes a's last version (same plan as before it)
    await db.sql`delete from landing.plan_events where account = 'a' and plan = 'pro'`;
    await db.sql`insert into landing.plan_events values ('a', 'team', '2025-04-01')`;
    await build(dir);
    expect(await changes(0), 'a version deleted: from its start').to.deep.equal({ a: '2025-03-01 00:00:00' });
  });

  it('should name the missing column when unique_key is not in the SELECT', async () => {
    const dir = folder({
      'models/snapshots/broken.sql': `{{config materialized="snapshot" unique_key="acount"}}\nselect 'a' as account, 1 as n`,
    });
    // found before anything is built: a configuration mistake (exit 2), not a failed node
    const error = await build(dir).then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('exitCode', 2);
    expect((error as Error).message).to.match(/unique_key of model "broken" names column "acount".*\(models\/snapshots\/broken\.sql:1\); did you mean "account"/);
  });
});
