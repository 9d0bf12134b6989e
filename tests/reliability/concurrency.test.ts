import { expect } from 'chai';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { repoProject } from '../support/files.js';
import { leftovers, ownDatabase, scd2Violations, sharedDataset, type OwnDatabase } from '../support/reliability.js';

interface Interval { run_id: number; command: string; status: string; started_at: Date; finished_at: Date }

describe('reliability: commands at once on one database', function () {
  this.timeout(180_000);
  let db: OwnDatabase;
  let decoy: OwnDatabase;
  let builds: CliResult[];
  let refused: CliResult;
  let waited: CliResult;
  let holder: number;

  before(async () => {
    const data = await sharedDataset();
    db = await ownDatabase();
    // the runner's lock key, held in another database of the server: not a holder of this one
    decoy = await ownDatabase();
    const decoySession = await decoy.sql.reserve();
    await decoySession`select pg_advisory_lock(7246315001)`;
    const args = (command: string, ...more: string[]) =>
      [command, '--project-dir', repoProject(), '--data-dir', data.all, ...more];
    const env = { DATABASE_URL: db.url };
    // two full builds started together on an empty warehouse: one waits for the other
    const both = [startCli(args('build-models'), env), startCli(args('build-models'), env)];
    for (let i = 0; i < 600 && !holder; i++) {
      const [row] = await db.sql`select run_id::int as run_id from meta.runs where status = 'running'`.catch(() => []);
      holder = row?.run_id;
      if (!holder) await new Promise((r) => setTimeout(r, 50));
    }
    // a snapshot while a build holds the database: with --lock-timeout 1 it gives up, without it waits
    const [gaveUp, patient] = await Promise.all([
      runCli(args('snapshot', '--lock-timeout', '1'), env),
      runCli(args('snapshot'), env),
    ]);
    refused = gaveUp;
    waited = patient;
    builds = await Promise.all(both.map((b) => b.done));
    decoySession.release();
  });
  after(() => Promise.all([db?.drop(), decoy?.drop()]));

  it('should let both builds and the patient snapshot succeed', () => {
    expect(holder, 'no run ever held the database').to.be.a('number');
    for (const b of builds) expect(b.code, b.stderr.slice(-2000)).to.equal(0);
    expect(waited.code, waited.stderr.slice(-2000)).to.equal(0);
  });

  it('should make the snapshot with --lock-timeout 1 exit 1, naming the run that holds the database', () => {
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.stderr).to.match(new RegExp(`another run holds this database: run ${holder} \\(build-models, started `));
    expect(refused.stderr).to.include('raise --lock-timeout');
    expect(refused.stderr).to.not.match(/internal error|\n\s+at /);
  });

  it('should never interleave: the runs and their nodes lie in disjoint intervals', async () => {
    const runs = await db.sql<Interval[]>`select run_id::int as run_id, command, status, started_at, finished_at
      from meta.runs order by started_at`;
    expect(runs.map((r) => r.status)).to.deep.equal(['success', 'success', 'success']);
    expect(runs.map((r) => r.command).sort()).to.deep.equal(['build-models', 'build-models', 'snapshot']);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i].started_at.getTime(), `run ${runs[i].run_id} began before run ${runs[i - 1].run_id} ended`)
        .to.be.at.least(runs[i - 1].finished_at.getTime());
    }
    const outside = await db.sql`select n.run_id, n.node from meta.node_runs as n join meta.runs as r using (run_id)
      where n.started_at < r.started_at or n.finished_at > r.finished_at`;
    expect(outside.map((o) => ({ ...o }))).to.deep.equal([]);
    const [{ nodes }] = await db.sql`select count(*)::int as nodes from meta.node_runs`;
    expect(nodes).to.be.above(10);
  });

  it('should leave a consistent warehouse and nothing locked', async () => {
    expect(await scd2Violations(db.sql)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
    const [{ n }] = await db.sql`select count(*)::int as n from analytics.fact_sales`;
    expect(n).to.equal(300_000);
    expect(await leftovers(db.sql)).to.deep.equal({ relations: [], locks: 0 });
  });
});
