import { join } from 'node:path';
import { planRun, prepare } from '../compile/prepare.js';
import { connect, type Database } from '../db/connection.js';
import { acquireRunLock, type RunLock } from '../db/lock.js';
import { ensureMeta } from '../db/meta.js';
import { applyProjectMigrations } from '../db/migrate.js';
import { ConnectionLost, lostConnection } from '../db/loss.js';
import type { Session } from '../db/session.js';
import { describeTarget } from '../db/target.js';
import { placeExistingTables } from '../db/placement.js';
import { redact, UserError } from '../errors.js';
import { ingestLanes, partsPerFile } from '../ingest/lanes.js';
import { analyzeNewRawTables } from '../ingest/tables.js';
import { writeManifest } from '../publish/manifest.js';
import { lineageEmitter, type LineageEmitter } from '../publish/openlineage.js';
import { writeRunResults } from '../publish/run-results.js';
import { statement } from '../sql/statements.js';
import { buildable, buildNodes } from './build.js';
import { checkColumns } from './column-check.js';
import type { NodeResult, RunContext, RunOptions, RunSummary } from './context.js';
import { finishRun, rejectedInStaging, startRun } from './run-record.js';
import { runDataTests } from './test-run.js';
import { plannedUnitTests, startUnitTests, unitTestsReady } from './unit-step.js';
import { unitTestSessions } from '../unit/session.js';
import { unitTestKey } from '../unit/passed.js';
import { checkFreshness, withFreshness } from './freshness.js';
import { projectName, uniqueId } from '../project/unique-id.js';

type Prepared = ReturnType<typeof prepare>;

/** `build-models`, `snapshot` and `ingest`: one locked run on the target database. */
export async function runPipeline(opts: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const threads = Math.max(1, opts.threads ?? 4);
  const { prepared, planned, db } = await prepareAndConnect(opts, threads, started);
  // the key under which the unit tests and the column check keep what passed (same project, runner, database);
  // ingest runs neither
  const passesKey = opts.command === 'ingest' ? '' : unitTestKey(prepared.project, db.display);
  const unitTests = plannedUnitTests(prepared, planned, opts, passesKey);
  const results: NodeResult[] = [];
  const outcome: Outcome = { status: 'success', exitCode: 0, rejectedInStaging: 0 };
  let ctx: RunContext | undefined;
  let lock: RunLock | undefined;
  let lineage: LineageEmitter | undefined;
  // the nodes' connections open while the run gets ready (meta, migrations, ingest), not after
  let sessions: Promise<Session[]> | undefined;
  // seeds load in the ingest step: a project with seeds and no landing sources ingests too
  const ingesting = !opts.skipIngest && (prepared.project.sources.length > 0 || !!prepared.project.seedsDir) && opts.command !== 'run';
  // ingest's code loads, and the connections of its lanes open, while the lock is taken
  const ingestModule = ingesting ? import('../ingest/ingest.js') : undefined;
  ingestModule?.catch(() => {});
  try {
    const locking = acquireRunLock(() => db.reserve(), opts.lockTimeoutMs ?? 60_000,
      (holder) => opts.logger.info(`waiting for ${holder} to finish…`));
    if (ingesting) warmUp(db, ingestLanes);
    lock = await locking;
    const runnable = planned.filter((n) => buildable(prepared.compiled.nodes.get(n)!)).length;
    if (runnable && !opts.testsOnly) {
      sessions = Promise.all(Array.from({ length: Math.min(threads, runnable) }, () => db.reserve()));
      sessions.catch(() => {}); // awaited (and reported) by buildNodes
    }
    await ensureMeta(lock.conn as never);
    const runId = await startRun(lock.conn as never, opts, threads, db.target);
    opts.logger.event({ event: 'run', run_id: runId, status: 'start', target: db.target.target,
      message: `run ${runId}: ${opts.command} ${describeTarget(db.target, db.display)}` });
    lineage = openLineage(db, opts);
    lineage.run('START', runId);
    ctx = { opts, logger: opts.logger, db, ...prepared, planned, runId, threads, lock, lineage, results,
      written: { keys: new Map(), previous: new Map() }, unitGates: new Map() };
    await applyProjectMigrations(lock.conn as never, db.url, prepared.project.migrationsDir);
    if (db.target.target === 'citus') await placeExistingTables(lock.conn as never, prepared.compiled, prepared.project.sources, opts.logger);
    await unitTestsReady(ctx, unitTests);
    // the unit tests read nothing that ingest or the build write: they run beside them (see startUnitTests)
    const unit = startUnitTests(ctx, unitTests);
    unit.catch(() => {}); // awaited below, after the build
    // the columns that settings and tests name, beside ingest: a wrong one stops the run before any build
    const checking = opts.command === 'ingest' ? Promise.resolve() : checkColumns(db, prepared.project, prepared.compiled, planned, passesKey);
    checking.catch(() => {});
    try {
      if (ingesting) outcome.ingest = await ingestStep(ctx, ingestModule!);
      await checking;
      if (ingesting && (await freshnessStep(ctx)) === 'error') outcome.status = 'error';
      const handed = sessions;
      sessions = undefined;
      await buildAndTest(ctx, outcome, handed);
    } finally {
      await unit.catch(() => {});
    }
    await unit;
    outcome.exitCode = outcome.status === 'success' ? 0 : 1;
    if (planned.length && prepared.project.sources.length) {
      outcome.rejectedInStaging = await rejectedInStaging(db.sql, new Date(started));
      if (!opts.testsOnly) await analyzeNewRawTables(db.sql, prepared.project.sources);
    }
  } catch (caught) {
    // a connection lost during ingest or bookkeeping is the same event as one lost during a node
    const e = lostConnection(caught, db.display) ?? caught;
    outcome.status = 'error';
    outcome.exitCode = e instanceof UserError ? e.exitCode : 1;
    outcome.failure = redact((e as Error).message);
    results.push({ node: 'run', kind: 'model', status: 'error', ms: Date.now() - started, rows: null, message: outcome.failure });
    throw e;
  } finally {
    const runId = ctx?.runId ?? 0;
    const summary: RunSummary = {
      run_id: runId, command: opts.command, args: opts.args, status: outcome.status, exitCode: outcome.exitCode, results, ingest: outcome.ingest,
      target: db.target.target, ...(db.target.target === 'citus' ? { workers: db.target.workers } : {}),
      rejected_in_staging: outcome.rejectedInStaging,
      started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), ms: Date.now() - started,
    };
    writeRunResults(opts.projectDir, summary, prepared.compiled.nodes);
    if (sessions) await sessions.then((ss) => ss.forEach((x) => x.release()), () => {});
    lineage?.run(outcome.status === 'success' ? 'COMPLETE' : 'FAIL', runId, outcome.failure);
    if (lock) {
      await finishRun({ db, lock, runId, results, logger: opts.logger }, outcome.status, outcome.failure);
      await lock.release();
    }
    if (!opts.db) await db.close();
    opts.logger.event({ event: 'run', run_id: runId, status: outcome.status, ms: Date.now() - started,
      message: `run ${runId} finished: ${outcome.status} in ${Date.now() - started} ms` });
    (runPipeline as { last?: RunSummary }).last = summary;
  }
  return (runPipeline as { last?: RunSummary }).last!;
}

/** How the run is going: what the summary and meta.runs will say. */
interface Outcome {
  status: RunSummary['status'];
  exitCode: number;
  failure?: string;
  ingest?: unknown;
  rejectedInStaging: number;
}

/**
 * Compiles and plans (no database: a mistake here is the user's, exit 2), writes the manifest, and opens
 * the database. With a server given, its connection's socket opens before the project compiles (the
 * driver opens it from a timer: one of ours, set after it, fires after it; the server accepts and forks
 * while the compile runs); an embedded server starts only for a project that compiles.
 */
async function prepareAndConnect(opts: RunOptions, threads: number, started: number): Promise<{ prepared: Prepared; planned: string[]; db: Database }> {
  // the lock's session, one per thread, the column check's (see column-check.ts), the unit tests' and for ingest (reserved while the threads'
  // sessions are held) two sources side by side, each file in up to partsPerFile() parts
  const open = () => connect({ projectDir: opts.projectDir, databaseUrl: opts.databaseUrl, logger: opts.logger,
    max: threads + 2 + unitTestSessions + Math.max(2, ingestLanes * partsPerFile()) });
  const early = !opts.db && (opts.databaseUrl ?? process.env.DATABASE_URL) ? open() : undefined;
  early?.catch(() => {});
  if (early) await new Promise((resolve) => setTimeout(resolve, 0));
  let prepared: Prepared;
  let planned: string[];
  try {
    prepared = prepare(opts.projectDir, opts.logger, opts.vars);
    planned = planRun(prepared, opts.command, opts.select, opts.exclude);
    // for docs and Airflow; the SQL each node ran goes to target/run/
    writeManifest(opts.projectDir, prepared.compiled, prepared.graph);
  } catch (e) {
    early?.then((db) => db.close(), () => {});
    throw e;
  }
  const db = opts.db ?? await (early ?? open()).catch((e: unknown) => {
    // a run that never reached its database still leaves its outcome (redacted) where tools look for it
    const message = redact((e as Error).message);
    writeRunResults(opts.projectDir, {
      run_id: 0, command: opts.command, args: opts.args, status: 'error', exitCode: e instanceof UserError ? e.exitCode : 1,
      results: [{ node: 'run', kind: 'model', status: 'error', ms: Date.now() - started, rows: null, message }],
      started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), ms: Date.now() - started,
    } satisfies RunSummary);
    throw e;
  });
  return { prepared, planned, db };
}

/** Builds the planned nodes, then runs their data tests (or, with --tests-only, only the tests). */
async function buildAndTest(ctx: RunContext, outcome: Outcome, sessions: Promise<Session[]> | undefined): Promise<void> {
  const { opts, planned, lock, db } = ctx;
  if (!planned.length) return;
  if (opts.testsOnly) {
    if ((await runDataTests(ctx, true)) === 'error') outcome.status = 'error';
    return;
  }
  if ((await buildNodes(ctx, sessions ?? Promise.resolve([]))) === 'error') outcome.status = 'error';
  // the run lock went with its connection: stop before anything else runs unlocked
  if (!lock.held) throw new ConnectionLost(db.display, 'the connection holding the run lock closed');
  if (!opts.skipTests && opts.command !== 'ingest' && (await runDataTests(ctx)) === 'error') outcome.status = 'error';
}

async function ingestStep(ctx: RunContext, module: Promise<typeof import('../ingest/ingest.js')>) {
  const { db, project, opts, runId } = ctx;
  const { ingest } = await module;
  const started = Date.now();
  const dataDir = opts.dataDir ?? join(opts.projectDir, 'data', 'raw');
  const summary = await ingest({ sql: db.sql, dataDir, tables: project.sources, runId, logger: opts.logger, metaReady: true,
    target: db.target.target });
  if (project.seedsDir) {
    const { loadSeeds } = await import('../ingest/seeds.js');
    await loadSeeds({ sql: db.sql, seedsDir: project.seedsDir, logger: opts.logger });
  }
  ctx.results.push({ node: 'ingest', kind: 'ingest', status: 'success', ms: Date.now() - started, rows: summary.rows });
  return summary;
}

/**
 * After ingest, the sources with `freshness:`: a table past `warn_after` is a warning, past
 * `error_after` (or never loaded) an error that fails the run; the models are built all the same.
 */
async function freshnessStep(ctx: RunContext): Promise<'success' | 'error'> {
  const tables = withFreshness(ctx.project.sources);
  if (!tables.length) return 'success';
  const started = Date.now();
  const checked = await checkFreshness(ctx.db.sql, tables);
  const project = projectName(ctx.opts.projectDir);
  for (const r of checked) {
    const message = `source ${r.source} is ${r.status === 'error' ? 'stale (error)' : 'stale'}: ${r.message}`;
    if (r.status !== 'pass') ctx.logger.warn(message);
    ctx.results.push({ node: r.source, kind: 'source', status: r.status === 'pass' ? 'pass' : r.status, ms: Date.now() - started,
      rows: null, message: r.status === 'pass' ? r.message : message, unique_id: uniqueId('source', project, r.source) });
  }
  return checked.some((r) => r.status === 'error') ? 'error' : 'success';
}

function openLineage(db: Database, opts: RunOptions): LineageEmitter {
  const where = new URL(db.url);
  return lineageEmitter(process.env.OPENLINEAGE_FILE, {
    namespace: `postgres://${where.hostname}:${where.port || 5432}`, db: where.pathname.slice(1) || 'postgres', warn: opts.logger.warn,
  });
}

/**
 * Opens `n` more connections of the pool now, side by side, instead of one after another when the step
 * that needs them begins (each is a fork on the server and a handshake). Failures show where they are used.
 */
function warmUp(db: Database, n: number): void {
  for (let i = 0; i < n; i++) db.sql.unsafe(statement('db/ping')).catch(() => {});
}
