import { expect } from 'chai';
import postgres from 'postgres';
import { startEmbedded } from '../../runner/src/db/embedded.js';
import { dataDirectoryFor } from '../../runner/src/db/embedded-setup.js';
import { collectingLogger } from '../../runner/src/log.js';
import { adminUrl } from '../support/database.js';
import { readRunResults, runCli } from '../support/cli.js';
import { copyOfProject, repoProject } from '../support/files.js';
import { removeProject, serversOn } from '../support/embedded.js';
import { faultDuring, fingerprints, leftovers, ownDatabase, runnerGone, scd2Violations, sharedDataset,
  type Dataset, type Faulted, type OwnDatabase } from '../support/reliability.js';

const build = (url: string, dataDir: string, projectDir = repoProject()) =>
  runCli(['build-models', '--project-dir', projectDir, '--data-dir', dataDir], { DATABASE_URL: url });

/** Where each kill lands: a line of the run's JSON log, then a delay into what it starts. */
const killPoints = [
  { at: 'while the later sales file streams into raw', trigger: '"file":"customers_updates_2025-12-31.csv"', delay: 40 },
  { at: 'while stg_sales merges the new sales', trigger: '"node":"stg_sales","status":"start"', delay: 150 },
  { at: 'while the dim_customer snapshot reconciles history', trigger: '"node":"dim_customer","status":"start"', delay: 120 },
  { at: 'while fact_sales merges', trigger: '"node":"fact_sales","status":"start"', delay: 150 },
];

/** What an administrator (or a restarting server) does to the runner's sessions. */
async function terminateRunner(database: string) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const ended = await admin`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = ${database} and application_name = 'sadp-runner'`;
    if (!ended.length) throw new Error('no runner session to terminate');
  } finally {
    await admin.end();
  }
}

describe('reliability: a build killed or cut off from its database', function () {
  this.timeout(300_000);
  let data: Dataset;
  let reference: OwnDatabase;
  let base: OwnDatabase;
  /** The clean build of every file, by natural columns. */
  let clean: Record<string, string>;
  /** The base (the first files built), and the base after a complete run on every file; keys kept. */
  let previous: Record<string, string>;
  let intended: Record<string, string>;

  before(async () => {
    data = await sharedDataset();
    reference = await ownDatabase();
    base = await ownDatabase();
    const [ref, first] = await Promise.all([build(reference.url, data.all), build(base.url, data.first)]);
    expect(ref.code, ref.stderr).to.equal(0);
    expect(first.code, first.stderr).to.equal(0);
    [clean, previous] = await Promise.all([fingerprints(reference.sql), fingerprints(base.sql, false)]);
    // the base serves as template of one database per kill: no connection may stay on it
    await base.sql.end();
    const complete = await ownDatabase(base.name);
    try {
      const run = await build(complete.url, data.all);
      expect(run.code, run.stderr).to.equal(0);
      intended = await fingerprints(complete.sql, false);
    } finally {
      await complete.drop();
    }
  });
  after(async () => {
    await Promise.all([reference?.drop(), base?.drop()]);
  });

  it('should start from a warehouse that the later delivery changes in every layer', () => {
    const changed = Object.keys(intended).filter((t) => intended[t] !== previous[t]);
    for (const t of ['raw.sales', 'raw.customers_updates', 'staging.stg_sales', 'staging.stg_customers_updates',
      'analytics.dim_customer', 'analytics.fact_sales']) {
      expect(changed, t).to.include(t);
    }
  });

  for (const point of killPoints) {
    describe(`SIGKILL ${point.at}`, () => {
      let db: OwnDatabase;
      let killed: Faulted;
      before(async () => {
        db = await ownDatabase(base.name);
        killed = await faultDuring(['build-models', '--project-dir', repoProject(), '--data-dir', data.all],
          { DATABASE_URL: db.url }, point.trigger, point.delay);
        await runnerGone(db.sql);
      });
      after(() => db?.drop());

      it('should have been killed before the run finished', () => {
        expect(killed.signal, killed.stderr.slice(-2000)).to.equal('SIGKILL');
        expect(killed.stderr).to.include(point.trigger);
        expect(killed.stderr).to.not.include('"event":"run","run_id":2,"status":"success"');
      });

      it('should leave every table either as before the run or as a complete run leaves it', async () => {
        const now = await fingerprints(db.sql, false);
        expect(Object.keys(now).sort()).to.deep.equal(Object.keys(intended).sort());
        for (const [table, print] of Object.entries(now)) {
          expect([previous[table], intended[table]], `${table} is half-written`).to.include(print);
        }
      });

      it('should keep the SCD2 invariants of dim_customer', async () => {
        expect(await scd2Violations(db.sql)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
      });

      it('should leave no temporary relation and no advisory lock behind', async () => {
        expect(await leftovers(db.sql)).to.deep.equal({ relations: [], locks: 0 });
      });

      it('should complete the work on the next run, equal to a clean build', async () => {
        const next = await build(db.url, data.all);
        expect(next.code, next.stderr.slice(-3000)).to.equal(0);
        expect(await fingerprints(db.sql)).to.deep.equal(clean);
        expect(await scd2Violations(db.sql)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
        expect(await leftovers(db.sql)).to.deep.equal({ relations: [], locks: 0 });
        const runs = await db.sql`select run_id::int as run_id, status from meta.runs order by run_id`;
        expect(runs.map((r) => [r.run_id, r.status])).to.deep.equal([[1, 'success'], [2, 'aborted'], [3, 'success']]);
      });
    });
  }

  describe('its sessions terminated (pg_terminate_backend) while dim_customer runs', () => {
    let db: OwnDatabase;
    let cut: Faulted;
    before(async () => {
      db = await ownDatabase(base.name);
      // dim_customer must still be running when its sessions end, however slow this machine is: a
      // session of the test holds a lock that its writes wait for, and the terminate comes once it waits
      const blocker = await db.sql.reserve();
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await blocker`begin`;
        await blocker`lock table analytics.dim_customer in share mode`;
        await admin`select 1`;
        cut = await faultDuring(['build-models', '--project-dir', repoProject(), '--data-dir', data.all], { DATABASE_URL: db.url },
          '"node":"dim_customer","status":"start"', 0, async () => {
            for (let i = 0; i < 1200; i++) {
              const [waiting] = await admin`select count(*)::int as n from pg_stat_activity
                where datname = ${db.name} and application_name = 'sadp-runner' and wait_event_type = 'Lock'`;
              if (waiting.n) break;
              await new Promise((r) => setTimeout(r, 25));
            }
            await terminateRunner(db.name);
          });
      } finally {
        await blocker`rollback`.catch(() => {});
        blocker.release();
        await admin.end();
      }
      await runnerGone(db.sql);
    });
    after(() => db?.drop());

    it('should exit 1 with a message that says the connection was lost and what to do, without a stack trace', () => {
      expect(cut.code, cut.stderr.slice(-3000)).to.equal(1);
      expect(cut.stderr).to.match(/error: lost the connection to the database at 127\.0\.0\.1:\d+\/sadp_r_\w+ \(/);
      expect(cut.stderr).to.include('run the command again');
      expect(cut.stderr).to.not.match(/internal error|\n\s+at /);
    });

    it('should record the failed run in meta.runs and target/run_results.json', async () => {
      const [run] = await db.sql`select status, message from meta.runs where run_id = 2`;
      expect(run.status).to.equal('error');
      expect(run.message).to.include('lost the connection');
      const results = readRunResults(repoProject());
      expect(results.status).to.equal('error');
      expect(results.exitCode).to.equal(1);
      expect(results.results.find((r) => r.node === 'dim_customer')?.status).to.equal('error');
      expect(results.results.find((r) => r.node === 'fact_sales')?.status).to.equal('skipped');
    });

    it('should leave every table either as before the run or as a complete run leaves it', async () => {
      const now = await fingerprints(db.sql, false);
      for (const [table, print] of Object.entries(now)) {
        expect([previous[table], intended[table]], `${table} is half-written`).to.include(print);
      }
      expect(now['analytics.dim_customer']).to.equal(previous['analytics.dim_customer']);
      expect(now['analytics.fact_sales']).to.equal(previous['analytics.fact_sales']);
      expect(await leftovers(db.sql)).to.deep.equal({ relations: [], locks: 0 });
    });

    it('should complete the work on the next run, equal to a clean build', async () => {
      const next = await build(db.url, data.all);
      expect(next.code, next.stderr.slice(-3000)).to.equal(0);
      expect(await fingerprints(db.sql)).to.deep.equal(clean);
      expect(await scd2Violations(db.sql)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
    });
  });

  describe('SIGKILL on the embedded PostgreSQL (no DATABASE_URL)', () => {
    let project: string;
    let killed: Faulted;
    let next: Awaited<ReturnType<typeof runCli>>;
    const servers = () => serversOn(dataDirectoryFor(project));

    before(async () => {
      project = copyOfProject();
      killed = await faultDuring(['build-models', '--project-dir', project, '--data-dir', data.all], { DATABASE_URL: undefined },
        '"node":"dim_customer","status":"start"', 120);
      next = await runCli(['build-models', '--project-dir', project, '--data-dir', data.all], { DATABASE_URL: undefined });
    });
    after(() => removeProject(project));

    it('should have been killed in the middle of the build', () => {
      expect(killed.signal, killed.stderr.slice(-2000)).to.equal('SIGKILL');
      expect(killed.stderr).to.include('"node":"dim_customer","status":"start"');
    });

    it('should let the next run start its server and complete, leaving no server behind', () => {
      expect(next.code, next.stderr.slice(-3000)).to.equal(0);
      expect(servers()).to.deep.equal([]);
    });

    it('should hold the same warehouse as a clean build', async () => {
      const server = await startEmbedded(project, collectingLogger());
      const sql = postgres(server.url, { max: 2, onnotice: () => {} });
      try {
        expect(await fingerprints(sql)).to.deep.equal(clean);
        expect(await scd2Violations(sql)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
        expect(await leftovers(sql)).to.deep.equal({ relations: [], locks: 0 });
      } finally {
        await sql.end();
        await server.stop();
      }
    });
  });
});
