import { expect } from 'chai';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';
import { createClusterDatabase, citusSuite } from '../support/citus.js';
import { runCli } from '../support/cli.js';
import type { TestDatabase } from '../support/database.js';
import { makeProject, repoProject, suiteFolders } from '../support/files.js';
import { faultDuring, runnerGone, runningRun, scd2Violations, sigkill, whileGated } from '../support/reliability.js';

/**
 * A fingerprint per table of raw, staging and analytics (row count and an order-free hash of its rows
 * without load times, batch ids and surrogate keys; fact_sales by the natural key of its version), as
 * tests/support/reliability.ts takes them, joined on the shards of the customer.
 */
async function fingerprints(sql: postgres.Sql): Promise<Record<string, string>> {
  const tables = await sql`select table_schema as schema, table_name as name, array_agg(column_name::text order by ordinal_position) as cols
    from information_schema.columns
    where table_schema in ('raw', 'staging', 'analytics') and (table_schema, table_name) in (select schemaname, tablename from pg_tables)
    group by 1, 2 order by 1, 2`;
  const out: Record<string, string> = {};
  for (const { schema, name, cols } of tables) {
    const kept = (cols as string[]).filter((c) => !['_batch_id', '_loaded_at', 'rejected_at', 'batch_id', 'customer_key'].includes(c))
      .map((c) => `t."${c}"`);
    const rows = name === 'fact_sales'
      ? `select row(${kept.join(', ')}, case when d.customer_key <> -1 then row(d.customer_id, d.effective_start_date) end)::text as r
         from analytics.fact_sales as t left join analytics.dim_customer as d on d.customer_id = t.customer_id and d.customer_key = t.customer_key`
      : `select row(${kept.join(', ')})::text as r from "${schema}"."${name}" as t`;
    const [{ hash, n }] = await sql.unsafe(`select coalesce(sum(hashtextextended(r, 7)), 0)::text as hash, count(*)::int as n from (${rows}) as rows`);
    out[`${schema}.${name}`] = `${n} rows, hash ${hash}`;
  }
  return out;
}

/** Work tables, build tables and advisory locks a run must never leave behind. */
async function leftovers(sql: postgres.Sql) {
  const relations = await sql`select c.oid::regclass::text as name from pg_class as c
    where c.relname ~ '__sadp_(w[0-9]+|src|tmp)_[0-9]+$' or c.relname ~ '__(events|affected|versions|changed|present)_[0-9]+$'`;
  const [{ locks }] = await sql`select count(*)::int as locks from pg_locks
    where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
  return { relations: relations.map((r) => r.name), locks };
}

/**
 * Where each kill lands, made certain by a lock: a session of the test holds `lock` (share mode) on the
 * coordinator, the node's write there waits for it, and the runner is killed while it waits, its
 * transaction holding all it did so far on the workers.
 */
const killPoints = [
  { at: 'while stg_sales merges the new sales (its rows typed and deduplicated on the workers)', lock: 'staging.stg_sales',
    trigger: '"node":"stg_sales","status":"start"' },
  { at: 'when the dim_customer snapshot has reconciled history on the workers, before it commits', lock: 'meta.snapshot_changes',
    trigger: '"node":"dim_customer","status":"start"' },
  { at: 'while fact_sales merges (its point-in-time join done on the workers)', lock: 'analytics.fact_sales',
    trigger: '"node":"fact_sales","status":"start"' },
];

/** SIGKILLs the runner once one of its sessions waits for a lock. */
const killWhenWaiting = (sql: postgres.Sql) => async (pid: number) => {
  for (let i = 0; i < 2400; i++) {
    const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'sadp-runner' and wait_event_type = 'Lock'`;
    if (n) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  sigkill(pid);
};

describe('citus: a build killed mid-run on the cluster', function () {
  citusSuite(this);
  this.timeout(900_000);
  const folders = suiteFolders('sadp-citus-kill-');
  let first: string;
  let all: string;
  let previous: Record<string, string>;
  let intended: Record<string, string>;
  const build = (url: string, dir: string) => runCli(['build-models', '--project-dir', repoProject(), '--data-dir', dir], { DATABASE_URL: url });

  before(async () => {
    first = folders();
    all = folders();
    const later = folders();
    for (const g of await Promise.all([runCli(['generate-data', '--out', first]),
      runCli(['generate-data', '--out', later, '--seed', '9', '--update-batches', '2'])])) expect(g.code, g.stderr).to.equal(0);
    for (const f of readdirSync(first)) copyFileSync(join(first, f), join(all, f));
    // the later delivery's first update batch: its events fall before many that are stored (late events)
    const update = readdirSync(later).filter((f) => f.startsWith('customers_updates_')).sort()[0];
    copyFileSync(join(later, update), join(all, update.replace('customers_updates_', 'customers_updates_late_')));
    const sales = readFileSync(join(later, 'sales.csv'), 'utf8').split('\n');
    writeFileSync(join(all, 'sales_2026.csv'), [sales[0], ...sales.slice(1, 5001).map((l) => l.replace(/^\d+/, (id) => String(Number(id) + 200_000)))].join('\n') + '\n');
    const reference = await createClusterDatabase();
    try {
      const one = await build(reference.url, first);
      expect(one.code, one.stderr.slice(-3000)).to.equal(0);
      previous = await fingerprints(reference.sql);
      const two = await build(reference.url, all);
      expect(two.code, two.stderr.slice(-3000)).to.equal(0);
      intended = await fingerprints(reference.sql);
    } finally {
      await reference.drop();
    }
  });

  it('should start from a warehouse that the later delivery changes in every layer', () => {
    const changed = Object.keys(intended).filter((t) => intended[t] !== previous[t]);
    for (const t of ['raw.sales', 'staging.stg_sales', 'staging.stg_customers_updates', 'analytics.dim_customer', 'analytics.fact_sales']) {
      expect(changed, t).to.include(t);
    }
  });

  for (const point of killPoints) {
    describe(`SIGKILL ${point.at}`, () => {
      let db: TestDatabase;
      let killed: Awaited<ReturnType<typeof faultDuring>>;
      before(async () => {
        db = await createClusterDatabase();
        const one = await build(db.url, first);
        expect(one.code, one.stderr.slice(-3000)).to.equal(0);
        const blocker = await db.sql.reserve();
        try {
          await blocker`begin`;
          await blocker.unsafe(`lock table ${point.lock} in share mode`);
          killed = await faultDuring(['build-models', '--project-dir', repoProject(), '--data-dir', all], { DATABASE_URL: db.url },
            point.trigger, 0, killWhenWaiting(db.sql));
        } finally {
          await blocker`rollback`.catch(() => {});
          blocker.release();
        }
        await runnerGone(db.sql as never);
      });
      after(() => db?.drop());

      it('should have been killed in the middle of the node', () => {
        expect(killed.signal, killed.stderr.slice(-2000)).to.equal('SIGKILL');
        expect(killed.stderr).to.include(point.trigger);
        expect(killed.stderr).to.not.include(point.trigger.replace('"start"', '"success"'));
      });

      it('should leave every table either as before the run or as a complete run leaves it, and nothing of its own', async () => {
        const now = await fingerprints(db.sql);
        expect(Object.keys(now).sort()).to.deep.equal(Object.keys(intended).sort());
        for (const [table, print] of Object.entries(now)) expect([previous[table], intended[table]], `${table} is half-written`).to.include(print);
        expect(await scd2Violations(db.sql as never)).to.deep.equal({ current: 0, flags: 0, chain: 0 });
        expect(await leftovers(db.sql)).to.deep.equal({ relations: [], locks: 0 });
      });

      it('should complete the work on the next run, equal to a run that was never killed', async () => {
        const next = await build(db.url, all);
        expect(next.code, next.stderr.slice(-3000)).to.equal(0);
        expect(await fingerprints(db.sql)).to.deep.equal(intended);
        const runs = await db.sql`select run_id::int as run_id, status from meta.runs order by run_id`;
        expect(runs.map((r) => [r.run_id, r.status])).to.deep.equal([[1, 'success'], [2, 'aborted'], [3, 'success']]);
      });
    });
  }
});

describe('citus: two runs on one cluster database', function () {
  citusSuite(this);
  this.timeout(300_000);
  let db: TestDatabase;
  const dirs: string[] = [];
  before(async () => {
    db = await createClusterDatabase();
  });
  after(async () => {
    await db?.drop();
    for (const d of dirs) (await import('node:fs')).rmSync(d, { recursive: true, force: true });
  });

  it('should make the second run wait, then give up after --lock-timeout naming the run that holds the lock', async () => {
    // the holder's distributed model waits for the test to let go of this lock
    const gate = 4343;
    const dir = makeProject({
      'models/marts/slow.sql': `{{config materialized="table" distributed_by="n"}}\nselect n from generate_series(1, 3) as n, (select pg_advisory_xact_lock_shared(${gate})) as pause`,
      'models/marts/after_slow.sql': '{{config materialized="view"}}\nselect count(*) as n from {{ref "slow"}}',
    });
    dirs.push(dir);
    const env = { DATABASE_URL: db.url };
    let holder: ReturnType<typeof runCli> | undefined;
    await whileGated(db.sql, gate, async () => {
      holder = runCli(['build-models', '--project-dir', dir], env);
      const holderRun = await runningRun(db.sql);
      expect(holderRun, 'the first run never started').to.be.a('number');
      const t0 = Date.now();
      const waiter = await runCli(['build-models', '--project-dir', dir, '--lock-timeout', '1'], env);
      expect(waiter.code, waiter.stderr).to.equal(1);
      expect(waiter.stderr).to.match(new RegExp(`another run holds this database: run ${holderRun} \\(build-models`));
      expect(Date.now() - t0).to.be.at.least(900);
    });
    const done = await holder!;
    expect(done.code, done.stderr).to.equal(0);
    const [{ partmethod }] = await db.sql`select partmethod from pg_dist_partition where logicalrelid = 'analytics.slow'::regclass`;
    expect(partmethod).to.equal('h');
    expect((await db.sql`select status from meta.runs order by run_id`).map((r) => r.status)).to.deep.equal(['success']);
  });
});
