import { expect } from 'chai';
import { makeProject } from '../support/files.js';
import { suiteDatabase, type TestDatabase } from '../support/database.js';
import { runCli } from '../support/cli.js';
import { runningRun, whileGated } from '../support/reliability.js';

/** `slow` sleeps `seconds`, or with `gate`, waits until the test lets go of that advisory lock. */
const slowProject = (seconds: number, gate?: number) => ({
  'models/marts/slow.sql': gate
    ? `select n from generate_series(1, 3) as n, (select pg_advisory_xact_lock_shared(${gate})) as pause`
    : `select n from generate_series(1, 3) as n, (select pg_sleep(${seconds})) as pause`,
  'models/marts/after_slow.sql': '{{config materialized="view"}}\nselect count(*) as n from {{ref "slow"}}',
  'models/marts/quick.sql': 'select 1 as one',
});

interface Interval { run_id: number; node: string; started_at: Date; finished_at: Date }

describe('runner: two runs on one database', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const dirs = suiteDatabase((d) => (db = d));

  it('should never interleave the nodes of two builds started at once', async () => {
    const dir = makeProject(slowProject(1.5));
    dirs.push(dir);
    const env = { DATABASE_URL: db.url };
    const [a, b] = await Promise.all([
      runCli(['build-models', '--project-dir', dir, '--threads', '2'], env),
      runCli(['build-models', '--project-dir', dir, '--threads', '2'], env),
    ]);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);

    const runs = await db.sql`select run_id, started_at, finished_at, status from meta.runs order by run_id`;
    expect(runs.map((r) => r.status)).to.deep.equal(['success', 'success']);
    const nodes = await db.sql<Interval[]>`select run_id, node, started_at, finished_at from meta.node_runs order by run_id, node`;
    expect(nodes).to.have.length(6);
    const [first, second] = runs.map((r) => nodes.filter((n) => n.run_id === r.run_id));
    expect(first.map((n) => n.node)).to.deep.equal(['after_slow', 'quick', 'slow']);
    const lastOfFirst = Math.max(...first.map((n) => n.finished_at.getTime()));
    const firstOfSecond = Math.min(...second.map((n) => n.started_at.getTime()));
    expect(firstOfSecond).to.be.at.least(lastOfFirst);
    // the runs themselves are disjoint too
    expect(runs[1].started_at.getTime()).to.be.at.least(runs[0].finished_at.getTime());
  });

  it('should make the second run give up after --lock-timeout, exiting 1 and naming the run that holds the lock', async () => {
    // the holder's slow model waits for the test to let go of this lock: it holds the database as long
    // as the test needs, however slow the machine
    const gate = 4242;
    const dir = makeProject(slowProject(0, gate));
    dirs.push(dir);
    const env = { DATABASE_URL: db.url };
    const [{ last }] = await db.sql`select coalesce(max(run_id), 0)::int as last from meta.runs`;
    let holder: ReturnType<typeof runCli> | undefined;
    await whileGated(db.sql, gate, async () => {
      holder = runCli(['build-models', '--project-dir', dir], env);
      const holderRun = await runningRun(db.sql, last);
      expect(holderRun, 'the first run never started').to.be.a('number');

      const t0 = Date.now();
      const waiter = await runCli(['build-models', '--project-dir', dir, '--lock-timeout', '1'], env);
      const waited = Date.now() - t0;
      expect(waiter.code, waiter.stderr).to.equal(1);
      expect(waiter.stderr).to.match(new RegExp(`\\brun ${holderRun}\\b`));
      expect(waited).to.be.at.least(900);
      // it gave up: the holder is still running
      const [{ status }] = await db.sql`select status from meta.runs where run_id = ${holderRun!}`;
      expect(status).to.equal('running');
    });

    const done = await holder!;
    expect(done.code, done.stderr).to.equal(0);
    const [{ n }] = await db.sql`select count(*)::int as n from meta.runs where run_id > ${last}`;
    expect(n).to.equal(1); // the refused run left no trace in the history
  });
});
