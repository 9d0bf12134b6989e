/**
 * Fixtures of the reliability suites: one generated dataset per test process, split into what a
 * warehouse already holds and a later delivery; databases cloned from a built one; and fingerprints of
 * every table, so that "as before the run or as the run meant to leave it" can be checked table by table.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createDatabase, type TestDatabase } from './database.js';
import { cliPath, runCli, type CliResult } from './cli.js';

export interface Dataset {
  /** Every file: a clean build of this folder is what the runs below must end with. */
  all: string;
  /** The files of the first build: three quarters of the sales, the first batch of customer updates. */
  first: string;
}

let dataset: Promise<Dataset> | undefined;

/** ~300k sales, 20k customers, 2 update batches; generated once per test process and shared. */
export function sharedDataset(): Promise<Dataset> {
  dataset ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'sadp-reliability-'));
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    const all = join(root, 'all');
    const out = await runCli(['generate-data', '--out', all, '--sales', '300000', '--customers', '20000', '--update-batches', '2']);
    if (out.code !== 0) throw new Error(`generate-data failed: ${out.stderr}`);
    const first = join(root, 'first');
    mkdirSync(first);
    for (const f of ['customers.csv', 'products.csv', 'stores.csv', 'customers_updates_2025-07-02.csv']) {
      copyFileSync(join(all, f), join(first, f));
    }
    // sales.csv keeps its first 225,000 records; the rest arrives later as sales_2026.csv (no quoted newlines)
    const lines = readFileSync(join(all, 'sales.csv'), 'utf8').split('\n');
    const cut = 1 + 225_000;
    writeFileSync(join(first, 'sales.csv'), lines.slice(0, cut).join('\n') + '\n');
    writeFileSync(join(all, 'sales.csv'), lines.slice(0, cut).join('\n') + '\n');
    writeFileSync(join(all, 'sales_2026.csv'), [lines[0], ...lines.slice(cut)].join('\n'));
    return { all, first };
  })();
  return dataset;
}

/** A database of the test server that the suite owns; `drop()` ends every connection to it first. */
export type OwnDatabase = TestDatabase;

/** Creates `sadp_r_<random>`, empty or as a copy of `template` (which must have no connections). */
export const ownDatabase = (template?: string): Promise<OwnDatabase> =>
  createDatabase({ template, prefix: 'sadp_r', bigintAsText: true });

/** Columns that differ between equal builds: load times and the ids of batches. */
const volatile = ['_batch_id', '_loaded_at', 'rejected_at', 'batch_id'];

/**
 * A fingerprint per table of raw, staging and analytics: its row count and an order-free sum of 64-bit
 * hashes of its rows without volatile columns. `natural` leaves out the surrogate key of dim_customer and
 * gives fact_sales the natural columns of the version it points at instead of its key, so that two
 * warehouses built along different paths (whose sequences drew different keys) compare equal; without it
 * the keys are kept, to compare a warehouse with another built the same way.
 */
export async function fingerprints(sql: postgres.Sql, natural = true): Promise<Record<string, string>> {
  const columns = await sql`select table_schema as schema, table_name as name, array_agg(column_name::text order by ordinal_position) as cols
    from information_schema.columns
    where table_schema in ('raw', 'staging', 'analytics')
      and (table_schema, table_name) in (select schemaname, tablename from pg_tables)
    group by 1, 2 order by 1, 2`;
  const out: Record<string, string> = {};
  await Promise.all(columns.map(async ({ schema, name, cols }) => {
    const relation = `"${schema}"."${name}"`;
    const kept = (cols as string[]).filter((c) => !volatile.includes(c) && !(natural && c === 'customer_key'))
      .map((c) => `t."${c}"`);
    const rows = natural && name === 'fact_sales'
      ? `select row(${kept.join(', ')}, case when d.customer_key <> -1 then row(d.customer_id, d.effective_start_date) end)::text as r
         from ${relation} as t left join analytics.dim_customer as d on d.customer_key = t.customer_key`
      : `select row(${kept.join(', ')})::text as r from ${relation} as t`;
    const [{ hash, n }] = await sql.unsafe(`select coalesce(sum(hashtextextended(r, 7)), 0)::text as hash,
      count(*)::int as n from (${rows}) as rows`);
    out[`${schema}.${name}`] = `${n} rows, hash ${hash}`;
  }));
  return out;
}

/** What a run must never leave behind: build tables, temporary relations, advisory locks, runner sessions. */
export async function leftovers(sql: postgres.Sql) {
  const relations = await sql`select n.nspname || '.' || c.relname as name from pg_class as c
    join pg_namespace as n on n.oid = c.relnamespace
    where c.relname like '%\\_\\_sadp\\_tmp\\_%' or c.relname like '%\\_\\_sadp\\_src\\_%'
       or c.relname ~ '__(events|affected|versions|changed)_[0-9]+$'`;
  const [{ locks }] = await sql`select count(*)::int as locks from pg_locks
    where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
  return { relations: relations.map((r) => r.name), locks };
}

/** Waits until no backend of the runner is left on the database (a killed client's backend ends its statement first). */
export async function runnerGone(sql: postgres.Sql, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'sadp-runner'`;
    if (n === 0) return;
    if (Date.now() > deadline) throw new Error(`${n} runner backend(s) still on the database after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The SCD2 rules of DESIGN §5.1 that can be checked on the table alone; each query returns offending keys. */
export async function scd2Violations(sql: postgres.Sql) {
  const [{ current }] = await sql`select count(*)::int as current from (
    select customer_id from analytics.dim_customer group by customer_id having count(*) filter (where is_current) <> 1) as k`;
  const [{ flags }] = await sql`select count(*)::int as flags from analytics.dim_customer
    where is_current <> (effective_end_date is null)`;
  const [{ chain }] = await sql`select count(*)::int as chain from (
    select effective_end_date, lead(effective_start_date) over (partition by customer_id order by effective_start_date) as next
    from analytics.dim_customer) as v
    where effective_end_date is distinct from next`;
  return { current, flags, chain };
}

export interface Faulted {
  stderr: string;
  stdout: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/**
 * Runs the CLI in a process group of its own and calls `fault` with it `delayMs` after its stderr (the
 * JSON log) first contains `trigger`. `sigkill` kills the whole group (an embedded server with it).
 */
export function faultDuring(args: string[], env: Record<string, string | undefined>, trigger: string, delayMs: number,
  fault: (pid: number) => unknown = sigkill): Promise<Faulted> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  const child = spawn(process.execPath, [cliPath, ...args], { env: merged, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let armed = false;
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!armed && stderr.includes(trigger)) {
        armed = true;
        setTimeout(() => Promise.resolve(fault(child.pid!)).catch(reject), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ stderr, stdout, signal, code }));
  });
}

export function sigkill(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* it ended first; the caller sees how */
  }
}

export type { CliResult };

/** Runs `body` while a session of the test holds the advisory lock `gate`: a model that waits for it holds its run. */
export async function whileGated<T>(sql: postgres.Sql, gate: number, body: () => Promise<T>): Promise<T> {
  const gatekeeper = await sql.reserve();
  await gatekeeper`select pg_advisory_lock(${gate})`;
  try {
    return await body();
  } finally {
    await gatekeeper`select pg_advisory_unlock(${gate})`;
    gatekeeper.release();
  }
}

/** The id of the run (after run `after`) that is running, once one has started; undefined after a minute. */
export async function runningRun(sql: postgres.Sql, after = 0): Promise<number | undefined> {
  for (let i = 0; i < 1200; i++) {
    const [{ ready }] = await sql`select to_regclass('meta.runs') is not null as ready`;
    const [row] = ready ? await sql`select run_id::int as run_id from meta.runs where run_id > ${after} and status = 'running'` : [];
    if (row) return row.run_id as number;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
