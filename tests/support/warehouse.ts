/**
 * Fixtures for the star-schema suites: the repository's own project run against a test database, with
 * landing files written by the test.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Database } from '../../runner/src/db/connection.js';
import { collectingLogger } from '../../runner/src/log.js';
import type { RunOptions, RunSummary } from '../../runner/src/run/context.js';
import { runPipeline } from '../../runner/src/run/pipeline.js';
import { createDatabase, type TestDatabase } from './database.js';
import { repoProject, suiteFolders } from './files.js';

export async function openDatabase(url: string): Promise<Database> {
  return connect({ projectDir: repoProject(), databaseUrl: url, logger: collectingLogger(), max: 6 });
}

/**
 * A suite's own database, opened as the runner opens it: created before the suite's tests, dropped after
 * them. Call inside `describe`; read `.db` in the tests.
 */
export function suiteWarehouse(): { db: Database; test: TestDatabase } {
  const state = {} as { db: Database; test: TestDatabase };
  before(async () => {
    state.test = await createDatabase();
    state.db = await openDatabase(state.test.url);
  });
  after(async () => {
    await state.db?.close();
    await state.test?.drop();
  });
  return state;
}

/**
 * Runs the repository's pipeline (`build-models` by default) on `db` with `dataDir` as landing folder,
 * without the models' unit tests (their suites run them: tests/db/unit-tests, tests/cli/unit-tests).
 */
export async function pipeline(db: Database, dataDir: string, options: Partial<RunOptions> = {}): Promise<RunSummary> {
  const summary = await runPipeline({
    projectDir: repoProject(),
    command: 'build-models',
    dataDir,
    logger: collectingLogger(),
    db,
    threads: 2,
    skipUnitTests: true,
    ...options,
  });
  const failed = summary.results.filter((r) => r.status === 'error' || r.status === 'fail');
  if (failed.length) throw new Error(`pipeline failed: ${failed.map((f) => `${f.node}: ${f.message}`).join('\n')}`);
  return summary;
}

/** Landing folders for a suite's tests, removed after them. Call inside `describe`. */
export const suiteLandingDirs = () => suiteFolders('sadp-landing-');

export function copyInto(fromDir: string, toDir: string, names = readdirSync(fromDir)) {
  for (const n of names) copyFileSync(join(fromDir, n), join(toDir, n));
}

/** Empties every layer and the bookkeeping, as if the warehouse were new (faster than a new database). */
export async function resetWarehouse(db: Database) {
  const tables = await db.sql`
    select format('%I.%I', schemaname, tablename) as t from pg_tables
    where schemaname in ('raw', 'staging', 'analytics')
       or (schemaname = 'meta' and tablename in ('ingested_files', 'node_runs', 'node_state', 'snapshot_changes', 'runs'))`;
  // delete, not truncate: these tables hold a few rows, and TRUNCATE replaces every table's files (~10 ms
  // a table); the sequences start again as TRUNCATE … RESTART IDENTITY would make them
  if (tables.length) {
    const sequences = await db.sql`select format('%I.%I', schemaname, sequencename) as s, start_value::text as start
      from pg_sequences where schemaname in ('raw', 'staging', 'analytics', 'meta')`;
    await db.sql.unsafe([...tables.map((r) => `delete from ${r.t}`),
      ...sequences.map((q) => `select setval('${q.s}', ${q.start}, false)`)].join(';\n'));
  }
  // each landed file is a partition of its raw table: batch ids start again, so do their partitions
  const parts = await db.sql`select c.oid::regclass::text as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'raw_batches' and c.relkind in ('r', 'p') and c.relispartition
      and (select relnamespace::regnamespace::text from pg_class where oid = (select inhparent from pg_inherits where inhrelid = c.oid)) = 'raw'`;
  if (parts.length) await db.sql.unsafe(`drop table ${parts.map((r) => r.t).join(', ')}`);
}

export const dimCustomerRows = (db: Database) => db.sql`
  select customer_key, customer_id, full_name, email, loyalty_tier,
         to_char(effective_start_date, 'YYYY-MM-DD HH24:MI:SS') as start,
         to_char(effective_end_date, 'YYYY-MM-DD HH24:MI:SS') as "end", is_current
  from analytics.dim_customer where customer_key <> -1
  order by customer_id, effective_start_date`;

/** Rows without the surrogate key, for comparing with the reference. */
export const natural = (rows: Record<string, unknown>[]) => rows.map(({ customer_key: _k, ...rest }) => rest);
