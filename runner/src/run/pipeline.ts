import { join } from 'node:path';
import { readsRunContext, renderModel, resolveSql, type CompiledProject, type Node } from '../compile/compile.js';
import { planRun, prepare } from '../compile/prepare.js';
import { ingestLanes, partsPerFile } from '../ingest/lanes.js';
import { connect, type Database } from '../db/connection.js';
import { readCatalog, nodeKey, type Relation } from '../db/catalog.js';
import { collapseGraph, type Graph } from '../dag/graph.js';
import type { Project } from '../project/project.js';
import type { NodeResult, RunOptions, RunSummary } from './context.js';
import { acquireRunLock, type RunLock } from '../db/lock.js';
import { ensureMeta } from '../db/meta.js';
import { applyProjectMigrations } from '../db/migrate.js';
import { loadTemplates } from '../sql/templates.js';
import { materialize, NodeSqlError, recordsKeyRemovals, viewSql } from './materialize.js';
import { schedule } from './scheduler.js';
import { batchChecks, buildTests, keepValues, watchedColumns, type DataTest, type Scope } from './data-tests.js';
import { writeManifest } from '../publish/manifest.js';
import { writeRunResults } from '../publish/run-results.js';
import { targetDir, writeChangedFiles } from '../files/write.js';
import { UserError, redact } from '../errors.js';
import { ident, qualified } from '../sql/quote.js';
import { snapshotContext } from './snapshot.js';
import { lineageEmitter, type LineageEmitter } from '../publish/openlineage.js';
import { ConnectionLost, interruption, isConnectionLoss, lostConnection, withDeadline, type Session } from '../db/session.js';

/** `build-models`, `snapshot` and `ingest`: one locked run on the target database. */
export async function runPipeline(opts: RunOptions): Promise<RunSummary> {
  const { logger } = opts;
  const started = Date.now();
  const threads = Math.max(1, opts.threads ?? 4);
  // the lock's session, one per thread, and for ingest (reserved while the threads' sessions are already
  // held) two sources side by side, each file in up to partsPerFile() parts; tests use two
  const open = () => connect({ projectDir: opts.projectDir, databaseUrl: opts.databaseUrl, logger,
    max: threads + 1 + Math.max(2, ingestLanes * partsPerFile()) });
  // with a server given, its connection's socket opens before the project compiles (the driver opens it
  // from a timer: one of ours, set after it, fires after it; the server accepts and forks while the
  // compile runs); an embedded server starts only for a project that compiles
  const early = !opts.db && (opts.databaseUrl ?? process.env.DATABASE_URL) ? open() : undefined;
  early?.catch(() => {});
  if (early) await new Promise((resolve) => setTimeout(resolve, 0));
  let prepared: ReturnType<typeof prepare>;
  let planned: string[];
  try {
    prepared = prepare(opts.projectDir, logger);
    planned = planRun(prepared, opts.command, opts.select, opts.exclude);
    // the manifest, for docs and Airflow; the SQL each node ran goes to target/run/ (`compile` writes
    // target/compiled/ for every model)
    writeManifest(opts.projectDir, prepared.compiled, prepared.graph);
  } catch (e) {
    early?.then((db) => db.close(), () => {});
    throw e;
  }
  const { project, compiled, graph } = prepared;
  const db = opts.db ?? await (early ?? open())
    .catch((e: unknown) => {
      // a run that never reached its database still leaves its outcome (redacted) where tools look for it
      const message = redact((e as Error).message);
      writeRunResults(opts.projectDir, {
        run_id: 0, command: opts.command, status: 'error', exitCode: e instanceof UserError ? e.exitCode : 1,
        results: [{ node: 'run', kind: 'model', status: 'error', ms: Date.now() - started, rows: null, message }],
        started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), ms: Date.now() - started,
      } satisfies RunSummary);
      throw e;
    });
  const results: NodeResult[] = [];
  let runId = 0;
  let ingestSummary: unknown;
  let lock: Awaited<ReturnType<typeof acquireRunLock>> | undefined;
  let status: RunSummary['status'] = 'success';
  let exitCode = 0;
  let failure: string | undefined;
  let rejectedInStaging = 0;
  let lineage: LineageEmitter | undefined;
  const written: Written = { xids: new Map(), previous: new Map() };
  // the nodes' connections open while the run gets ready (meta, migrations, ingest), not after
  let sessions: Promise<Session[]> | undefined;
  let sessionsHandedOver = false;
  const ingesting = !opts.skipIngest && project.sources.length > 0 && opts.command !== 'run';
  // ingest's code loads, and the connections of its two lanes open, while the lock is taken and the
  // meta schema made ready (the lock's session takes the connection that is open already)
  const ingestModule = ingesting ? import('../ingest/ingest.js') : undefined;
  ingestModule?.catch(() => {});
  try {
    const locking = acquireRunLock(() => db.reserve(), opts.lockTimeoutMs ?? 60_000,
      (holder) => logger.info(`waiting for ${holder} to finish…`));
    if (ingesting) warmUp(db, ingestLanes);
    lock = await locking;
    const runnableCount = planned.filter((n) => buildable(compiled.nodes.get(n)!)).length;
    if (runnableCount && !opts.testsOnly) {
      sessions = Promise.all(Array.from({ length: Math.min(threads, runnableCount) }, () => db.reserve()));
      sessions.catch(() => {}); // awaited (and reported) by buildNodes
    }
    await ensureMeta(lock.conn as never);
    // holding the lock, no other run is alive: one still 'running' was killed or lost its database
    await lock.conn`update meta.runs set status = 'aborted', message = coalesce(message,
      'the command ended without finishing: killed, or its connection to the database was lost')
      where status = 'running'`;
    const [run] = await lock.conn`insert into meta.runs (command, args) values (${opts.command},
      ${JSON.stringify({ select: opts.select, exclude: opts.exclude, full_refresh: opts.fullRefresh ?? false, threads })})
      returning run_id`;
    runId = Number(run.run_id);
    logger.event({ event: 'run', run_id: runId, status: 'start', message: `run ${runId}: ${opts.command} on ${db.display}` });
    const where = new URL(db.url);
    lineage = lineageEmitter(process.env.OPENLINEAGE_FILE, {
      namespace: `postgres://${where.hostname}:${where.port || 5432}`, db: where.pathname.slice(1) || 'postgres', warn: logger.warn,
    });
    lineage.run('START', runId);
    await applyProjectMigrations(lock.conn as never, db.url, project.migrationsDir);

    if (ingesting) {
      ingestSummary = await ingestStep(db, project, opts, runId, results, ingestModule!);
    }
    if (planned.length && opts.testsOnly) {
      if ((await runTests(db, compiled, planned, opts, runId, results, written, true)) === 'error') status = 'error';
    } else if (planned.length) {
      sessionsHandedOver = true;
      const outcome = await buildNodes(db, project, compiled, graph, planned, opts, runId, threads, results, lock, lineage!, written,
        sessions ?? Promise.resolve([]));
      if (outcome === 'error') status = 'error';
      // the run lock went with its connection: stop before anything else runs unlocked
      if (!lock.held) throw new ConnectionLost(db.display, 'the connection holding the run lock closed');
      if (!opts.skipTests && opts.command !== 'ingest') {
        const testOutcome = await runTests(db, compiled, planned, opts, runId, results, written);
        if (testOutcome === 'error') status = 'error';
      }
    }
    exitCode = status === 'success' ? 0 : 1;
    if (planned.length && project.sources.length) {
      // records that failed validation in this run's staging models (ingest counts its own)
      const [counted] = await db.sql`select count(*)::int as n from staging.rejected_rows
        where stage = 'staging' and rejected_at >= ${new Date(started)}`.catch(() => [{ n: 0 }]);
      rejectedInStaging = counted.n;
    }
    if (planned.length && project.sources.length && !opts.testsOnly) await analyzeNewRawTables(db, project);
  } catch (caught) {
    // a connection lost during ingest or bookkeeping is the same event as one lost during a node
    const e = lostConnection(caught, db.display) ?? caught;
    status = 'error';
    exitCode = e instanceof UserError ? e.exitCode : 1;
    results.push({ node: 'run', kind: 'model', status: 'error', ms: Date.now() - started, rows: null, message: redact((e as Error).message) });
    failure = redact((e as Error).message);
    throw e;
  } finally {
    const summary: RunSummary = {
      run_id: runId, command: opts.command, status, exitCode, results, ingest: ingestSummary,
      rejected_in_staging: rejectedInStaging,
      started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), ms: Date.now() - started,
    };
    writeRunResults(opts.projectDir, summary);
    if (sessions && !sessionsHandedOver) await sessions.then((ss) => ss.forEach((x) => x.release()), () => {});
    lineage?.run(status === 'success' ? 'COMPLETE' : 'FAIL', runId, failure);
    if (lock) {
      // without its session (lost), the run is recorded through the pool, which reconnects
      // after a lost connection, through a connection of its own: the pool may still hold connections the
      // server ended a moment ago that it doesn't know are closed yet; a few tries, waiting longer each time
      let single: Database['sql'] | undefined;
      const recordPatiently = async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            const via = attempt === 0 ? (lock!.held ? lock!.conn : db.sql) : (single ??= db.single());
            // a server that went away for good must not keep the command from ending
            return await withDeadline(finishBookkeeping(via as never, runId, status, results, failure), 10_000,
              'CONNECTION_CLOSED', 'no answer within 10 s');
          } catch (e) {
            if (!isConnectionLoss(e) || attempt >= 4 || interruption.signal) throw e;
            await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          }
        }
      };
      await recordPatiently()
        .finally(() => single?.end({ timeout: 1 }).catch(() => {}))
        .catch((e) => logger.warn(interruption.signal
          ? `the run is not recorded as ended (interrupted by ${interruption.signal}); the next run marks it aborted`
          : `could not record the run: ${(e as Error).message}`));
      await lock.release();
    }
    if (!opts.db) await db.close();
    logger.event({ event: 'run', run_id: runId, status, ms: Date.now() - started, message: `run ${runId} finished: ${status} in ${Date.now() - started} ms` });
    (runPipeline as { last?: RunSummary }).last = summary;
  }
  return (runPipeline as { last?: RunSummary }).last!;
}

/**
 * Raw tables that were never analyzed get their statistics once the run's models have read them. The
 * ingest step re-analyzes a table that grew by a fifth, but leaves a first load alone (on a big file
 * that would double the load's time); without statistics, though, the next incremental run's staging
 * query would read the whole raw table instead of probing its batch index (autovacuum, where it is on,
 * would do this too, some time later).
 */
async function analyzeNewRawTables(db: Database, project: Project): Promise<void> {
  const names = project.sources.map((s) => qualified(s.schema, s.name));
  const rows = await db.sql`select c.oid::regclass::text as name from pg_class as c
    where c.oid = any(array(select to_regclass(n) from unnest(${names}::text[]) as n)) and c.reltuples < 0`;
  await Promise.all(rows.map((r) => db.sql.unsafe(`analyze ${r.name}`)));
}

async function finishBookkeeping(sql: Database['sql'], runId: number, status: string, results: NodeResult[], message?: string) {
  if (!runId) return;
  const rows = results.filter((r) => r.kind === 'model' && r.node !== 'run').map((r) => ({
    run_id: runId, node: r.node, status: r.status, ms: r.ms, rows: r.rows, message: r.message ?? null,
    started_at: r.started_at ?? null, finished_at: r.finished_at ?? new Date().toISOString(),
  }));
  // one parameter however many nodes: a JSON document the server unpacks
  if (rows.length) {
    await sql`insert into meta.node_runs (run_id, node, status, ms, rows, message, started_at, finished_at)
      select run_id, node, status, ms, rows, message, started_at, finished_at
      from jsonb_to_recordset(${rows as never}::jsonb) as x(run_id bigint, node text, status text, ms int, rows bigint,
        message text, started_at timestamptz, finished_at timestamptz)
      on conflict (run_id, node) do update set status = excluded.status, ms = excluded.ms, rows = excluded.rows,
        message = excluded.message, started_at = excluded.started_at, finished_at = excluded.finished_at`;
  }
  await sql`update meta.runs set status = ${status}, finished_at = clock_timestamp(), message = coalesce(${message ?? null}, message)
    where run_id = ${runId}`;
}

async function ingestStep(db: Database, project: Project, opts: RunOptions, runId: number, results: NodeResult[],
  module: Promise<typeof import('../ingest/ingest.js')>) {
  const { ingest } = await module;
  const started = Date.now();
  const dataDir = opts.dataDir ?? join(opts.projectDir, 'data', 'raw');
  const summary = await ingest({ sql: db.sql, dataDir, tables: project.sources, runId, logger: opts.logger, metaReady: true });
  if (project.seedsDir) {
    const { loadSeeds } = await import('../ingest/seeds.js');
    await loadSeeds({ sql: db.sql, seedsDir: project.seedsDir, logger: opts.logger });
  }
  results.push({ node: 'ingest', kind: 'ingest', status: 'success', ms: Date.now() - started, rows: summary.rows });
  return summary;
}

/**
 * Opens `n` more connections of the pool now, side by side, instead of one after another when the
 * step that needs them begins (each is a fork on the server and a handshake). Failures show where the
 * connections are used.
 */
function warmUp(db: Database, n: number): void {
  for (let i = 0; i < n; i++) db.sql`select 1`.catch(() => {});
}

/** What this run's builds leave for its data tests. */
interface Written {
  /** Incremental and snapshot nodes merged (not rebuilt) in this run: the xid of their transaction. */
  xids: Map<string, string>;
  /** Each watermarked node's last success before this run. */
  previous: Map<string, { run_id: number; batch_id: number }>;
}

/** The watermark of each node: the run in which it last succeeded, and the last batch landed by then. */
async function readPrevious(sql: Database['sql']): Promise<Map<string, { run_id: number; batch_id: number }>> {
  const rows = await sql`
    select state.node, state.run_id,
      coalesce((select max(batch_id) from meta.ingested_files f where f.run_id <= state.run_id), 0) as batch_id
    from meta.node_state as state`;
  return new Map(rows.map((r) => [r.node, { run_id: Number(r.run_id), batch_id: Number(r.batch_id) }]));
}

/** Models that build a relation: ephemeral models are inlined, singular tests are queries. */
const buildable = (node: Node) => !['ephemeral', 'test'].includes(node.config.materialized);

async function buildNodes(db: Database, project: Project, compiled: CompiledProject, graph: Graph, planned: string[],
  opts: RunOptions, runId: number, threads: number, results: NodeResult[], lock: RunLock,
  lineage: LineageEmitter, written: Written, reserved: Promise<Session[]>): Promise<'success' | 'error'> {
  const { logger } = opts;
  // what a node reads, for lineage: the relations of its refs (through ephemeral models) and its sources
  const lineageOf = (node: Node) => ({
    name: node.name,
    inputs: [...new Set([...inputsOf(node, compiled), ...node.sources.map((k) => {
      const src = compiled.sources.get(k)!;
      return `${src.schema}.${src.name}`;
    })])],
    output: `${node.config.schema}.${(node.config.alias as string) ?? node.name}`,
  });
  const runnable = planned.filter((n) => buildable(compiled.nodes.get(n)!));
  const runGraph = collapseGraph(graph, new Set([...compiled.nodes.keys()].filter((n) =>
    buildable(compiled.nodes.get(n)!))));
  const schemas = [...new Set(runnable.map((n) => compiled.nodes.get(n)!.config.schema))];
  // one round trip on the lock's session: the statements go out together and come back in order
  const conn = lock.conn as unknown as Database['sql'];
  const [, catalog, previous] = await Promise.all([
    schemas.length ? conn.unsafe(schemas.map((s) => `create schema if not exists ${ident(s)}`).join(';\n')) : null,
    readCatalog(conn, schemas), readPrevious(conn)]);
  written.previous = previous;
  const existedBefore = new Set(catalog.keys());
  const watched = watchedColumns(compiled.nodes);
  const templates = loadTemplates('materializations', project.dir);
  const sessions = await reserved;
  const runDir = join(targetDir(project.dir), 'run');
  // the SQL each node ran, written once at the end rather than a file per node on the hot path
  const runFiles = new Map<string, string>();
  // the time at which events without a time of their own (snapshots without updated_at) happen
  const runTime = new Date().toISOString().replace('T', ' ').replace('Z', '');
  try {
    const nodeCtx = { runId, fullRefresh: Boolean(opts.fullRefresh), catalog, templates, watched };
    const announce = (node: Node) => {
      logger.event({ event: 'node', run_id: runId, node: node.name, status: 'start' });
      if (lineage.enabled) lineage.node('START', runId, lineageOf(node));
    };
    const succeeded = (node: Node, out: { rows: number | null; sql: string; xid?: string }, ms: number,
      existing: Relation | undefined) => {
      logger.event({ event: 'node', run_id: runId, node: node.name, status: 'success', ms, rows: out.rows });
      if (lineage.enabled) lineage.node('COMPLETE', runId, lineageOf(node));
      runFiles.set(join(runDir, node.path), out.sql + '\n');
      if (out.xid) written.xids.set(node.name, out.xid);
      // later nodes in this run must see what this one left behind
      catalog.set(nodeKey(node), {
        schema: node.config.schema, name: (node.config.alias as string) ?? node.name,
        kind: node.config.materialized === 'view' ? 'view' : 'table',
        columns: existing && node.config.materialized !== 'view' && existing.columns.length && !opts.fullRefresh
          ? existing.columns : [],
        hasDependents: existing?.hasDependents ?? false,
      });
      return { rows: out.rows, ms };
    };
    const runOne = async (name: string, worker: number, announced = false) => {
      const node = compiled.nodes.get(name)!;
      if (!lock.held) throw new ConnectionLost(db.display, 'the connection holding the run lock closed');
      if (!announced) announce(node);
      const t0 = Date.now();
      const conn = sessions[worker].sql;
      const existing = catalog.get(nodeKey(node));
      // what the node saw when it last succeeded; nothing when it is rebuilt from scratch
      const prev = existing && !opts.fullRefresh ? previous.get(name) ?? { run_id: 0, batch_id: 0 } : { run_id: 0, batch_id: 0 };
      let sql = sqlForRun(node, compiled, existing, prev, opts, runId, false);
      let out;
      try {
        let extra: Record<string, unknown> = { prev };
        if (node.config.materialized === 'snapshot') {
          const described = await conn.unsafe(`select * from (\n${sql.replace(/;\s*$/, '')}\n) as described limit 0`);
          const columns = (described as unknown as { columns: { name: string }[] }).columns.map((c) => c.name);
          extra = { ...extra, ...snapshotContext(node, columns, runId, runTime, Boolean(opts.fullRefresh), Boolean(existing)) };
        }
        try {
          out = await materialize(conn as never, node, sql, nodeCtx, extra);
        } catch (e) {
          // a value failed a fast cast: build again with the macros' per-row safe parsing
          const code = e instanceof NodeSqlError ? (e.cause as { code?: string })?.code : undefined;
          if (!code?.startsWith('22')) throw e;
          logger.info(`${name}: a value failed a fast cast (${(e as Error).message}); building again with per-row parsing`);
          sql = sqlForRun(node, compiled, existing, prev, opts, runId, true);
          out = await materialize(conn as never, node, sql, nodeCtx, extra);
        }
      } catch (caught) {
        const e = lostConnection(caught instanceof NodeSqlError ? caught.cause : caught, db.display) ?? caught;
        if (caught instanceof NodeSqlError) runFiles.set(join(runDir, node.path), caught.sql + '\n');
        const failure = describeFailure(node, e, Boolean(existing));
        logger.event({ event: 'node', run_id: runId, node: name, status: 'error', ms: Date.now() - t0, message: failure });
        if (lineage.enabled) lineage.node('FAIL', runId, { ...lineageOf(node), message: failure });
        throw e;
      }
      return succeeded(node, out, Date.now() - t0, existing);
    };
    /**
     * Ready views share one round trip: their statements run as one implicit transaction (each view is
     * only a definition). If any fails, nothing of the group stays, and each is built alone to find it.
     * The group's time is shared among its views.
     */
    const runViews = async (names: string[], worker: number) => {
      if (!lock.held) throw new ConnectionLost(db.display, 'the connection holding the run lock closed');
      const nodes = names.map((n) => compiled.nodes.get(n)!);
      const none = { run_id: 0, batch_id: 0 };
      const existing = nodes.map((node) => catalog.get(nodeKey(node)));
      const texts = nodes.map((node, i) =>
        viewSql(node, sqlForRun(node, compiled, existing[i], none, opts, runId, false), nodeCtx, { prev: none }));
      nodes.forEach(announce);
      const t0 = Date.now();
      try {
        await sessions[worker].sql.unsafe(texts.join(';\n'));
      } catch (e) {
        const lost = lostConnection(e, db.display);
        if (lost) throw lost;
        // one by one, in order; a view after a failed one in the group is left for the scheduler to skip
        const settled: PromiseSettledResult<{ rows: number | null; ms: number }>[] = [];
        const failed = new Set<string>();
        for (const name of names) {
          if (runGraph.parents.get(name)!.some((p) => failed.has(p))) {
            failed.add(name);
            settled.push({ status: 'rejected', reason: new Error('an upstream view failed') });
            continue;
          }
          settled.push(await runOne(name, worker, true).then((value) => ({ status: 'fulfilled' as const, value }), (reason) => {
            failed.add(name);
            return { status: 'rejected' as const, reason };
          }));
        }
        return settled;
      }
      const ms = Math.round((Date.now() - t0) / names.length);
      return nodes.map((node, i) => ({ status: 'fulfilled' as const, value: succeeded(node, { rows: null, sql: texts[i] }, ms, existing[i]) }));
    };
    const outcome = await schedule(runnable, runGraph, sessions.length, runOne, (name, because) => {
      logger.event({ event: 'node', run_id: runId, node: name, status: 'skipped', message: `skipped: upstream "${because}" failed` });
    }, { canGroup: (name) => compiled.nodes.get(name)!.config.materialized === 'view', max: 1000, run: runViews });
    let failed = false;
    for (const name of runnable) {
      const s = outcome.get(name)!;
      const node = compiled.nodes.get(name)!;
      const ms = s.finishedAt && s.startedAt ? s.finishedAt - s.startedAt : 0;
      const base = { node: name, path: node.path, kind: 'model' as const, ms, thread: s.worker,
        started_at: s.startedAt ? new Date(s.startedAt).toISOString() : undefined,
        finished_at: s.finishedAt ? new Date(s.finishedAt).toISOString() : undefined };
      if (s.status === 'success') {
        const r = s.result as { rows: number | null };
        results.push({ ...base, status: 'success', rows: r.rows });
      } else if (s.status === 'error') {
        failed = true;
        const message = describeFailure(node, s.error, existedBefore.has(nodeKey(node)));
        results.push({ ...base, status: 'error', rows: null, message });
      } else {
        failed = true;
        results.push({ ...base, status: 'skipped', rows: null, message: `upstream "${s.because}" failed` });
      }
    }
    const skipped = results.filter((r) => r.status === 'skipped').map((r) => r.node);
    if (skipped.length) logger.warn(`skipped because an upstream node failed: ${skipped.join(', ')}`);
    // nodes that failed for want of a connection say nothing about the models: the run failed
    const lost = runnable.map((n) => outcome.get(n)!.error).find((e) => e instanceof ConnectionLost);
    if (lost) throw lost;
    return failed ? 'error' : 'success';
  } finally {
    for (const s of sessions) s.release();
    writeChangedFiles(runFiles, join(runDir, '.written.json'));
  }
}

function sqlForRun(node: Node, compiled: CompiledProject, existing: Relation | undefined, prev: { run_id: number; batch_id: number },
  opts: RunOptions, runId: number, safe: boolean): string {
  const incremental = ['incremental', 'snapshot'].includes(node.config.materialized) && existing?.kind === 'table' && !opts.fullRefresh;
  const ctx = { is_incremental: incremental, prev, run_id: runId, full_refresh: Boolean(opts.fullRefresh), vars: {}, safe };
  const needsRender = safe || incremental || readsRunContext(node.file.text);
  const rendered = needsRender ? renderModel(compiled.hb, node.file, ctx).rendered : node.rendered;
  // ephemeral models inlined here see the same context
  const renderOf = (n: Node) => (safe ? renderModel(compiled.hb, n.file, ctx).rendered : n.rendered);
  return resolveSql(rendered, node, compiled.nodes, compiled.sources, renderOf);
}

/** The database's own message, the model file, and the line of the compiled SQL it points at. */
export function describeFailure(node: Node, error: unknown, existed = true): string {
  if (error instanceof UserError) return error.message;
  const e = error instanceof NodeSqlError ? error.cause as { message?: string; position?: string; code?: string; detail?: string; hint?: string } : error as { message?: string };
  const position = (e as { position?: string }).position;
  let where = '';
  if (position && error instanceof NodeSqlError && error.statement) {
    const line = error.statement.slice(0, Number(position)).split('\n').length;
    const text = error.statement.split('\n')[line - 1]?.trim() ?? '';
    // the line of the model file, when the failing line appears there as written (once)
    const source = node.file.text.split('\n');
    const hits = text ? source.flatMap((l, i) => (l.trim() === text ? [i + 1] : [])) : [];
    where = hits.length === 1 ? `\n  at ${node.path}:${hits[0]}: ${text}` : `\n  at line ${line} of the compiled statement: ${text}`;
  }
  const detail = (e as { detail?: string }).detail ? `\n  detail: ${(e as { detail?: string }).detail}` : '';
  const hint = (e as { hint?: string }).hint ? `\n  hint: ${(e as { hint?: string }).hint}` : '';
  return redact(`model "${node.name}" failed (${node.path}): ${e?.message ?? String(error)}${where}${detail}${hint}\n` +
    `  compiled SQL: target/run/${node.path}; fix the model and run again` +
    `${existed ? ` (its previous ${node.config.materialized === 'view' ? 'view' : 'table'} is unchanged)` : ''}`);
}

async function runTests(db: Database, compiled: CompiledProject, planned: string[], opts: RunOptions, runId: number,
  results: NodeResult[], written: Written, everythingBuilt = false): Promise<'success' | 'error'> {
  const built = new Set(everythingBuilt ? planned : results.filter((r) => r.status === 'success').map((r) => r.node));
  const eligible = planned.filter((n) => built.has(n) || compiled.nodes.get(n)!.config.materialized === 'test'
    && compiled.nodes.get(n)!.refs.every((r) => built.has(r) || compiled.nodes.get(r)!.config.materialized === 'ephemeral'
      || !planned.includes(r)));
  const singular = new Map<string, string>();
  for (const n of eligible) {
    const node = compiled.nodes.get(n)!;
    if (node.config.materialized === 'test') singular.set(n, resolveSql(node.rendered, node, compiled.nodes, compiled.sources));
  }
  const templates = loadTemplates('tests', opts.projectDir);
  // a project's own template for a test kind is honoured as written, one query per test
  const overridden = (kind: string) => templates.fromProject?.has(kind) ?? false;
  let tests = buildTests(eligible, compiled.nodes, templates, singular, overridden);
  // what a failure message shows: the query over every row, which a user can run to see the failures
  const everyRow = new Map(tests.map((t) => [t.name, t.sql]));
  const scopes = opts.fullTests ? new Map<string, Scope>() : await changedRowScopes(db, compiled, tests, written);
  if (scopes.size) tests = buildTests(eligible, compiled.nodes, templates, singular, overridden, (t) => scopes.get(t.name));
  const { batches, rest } = batchChecks(tests, templates);
  let failed = false;
  const outcomes: { test: string; model: string; status: string; scope: string; failing: string[] | null }[] = [];
  const report = (t: DataTest, found: Found, ms: number) => {
    const { failures, failing } = found;
    const status = failures === 0 ? 'pass' : t.severity === 'warn' ? 'warn' : 'fail';
    if (status === 'fail') failed = true;
    const scope = t.scopeXid ? 'changed rows' : 'all rows';
    const checked = t.scopeXid ? ` (checked: the rows this run wrote${t.stillFailing ? ' and the values that failed last time' : ''})` : '';
    const query = (everyRow.get(t.name) ?? t.sql).replace(/\s+/g, ' ').trim();
    const message = failures ? `${failures} failing ${t.kind === 'relationships' ? 'value' : 'row'}(s)${checked}; to see them: ${query}` : undefined;
    results.push({ node: t.name, kind: 'test', status, ms, rows: failures, message, scope });
    outcomes.push({ test: t.name, model: t.model, status, scope, failing: failures === 0 ? [] : failing ?? null });
    opts.logger.event({ event: 'test', run_id: runId, node: t.name, status, ms, rows: failures, scope, message });
  };
  const broken = (t: DataTest, e: unknown, ms: number) => {
    failed = true;
    const message = `test "${t.name}" on model "${t.model}" could not run: ${(e as Error).message}`;
    results.push({ node: t.name, kind: 'test', status: 'fail', ms, rows: null, message });
    outcomes.push({ test: t.name, model: t.model, status: 'fail', scope: 'all rows', failing: null });
    opts.logger.event({ event: 'test', run_id: runId, node: t.name, status: 'fail', message });
  };
  // a relationships test on changed rows also asks which of the values it found last time still fail
  const withStillFailing = async (t: DataTest, found: Found): Promise<Found> => {
    if (!t.stillFailing) return found;
    const still = await db.sql.unsafe(t.stillFailing.sql, [t.stillFailing.values]);
    const values = new Set([...(found.failing ?? []), ...still.map((r) => String(r.value))]);
    return found.failing ? { failures: values.size, failing: [...values] } : { failures: found.failures + still.length, failing: null };
  };
  const batched = batches.map(async (b) => {
    const t0 = Date.now();
    try {
      const [counts] = await db.sql.unsafe(b.sql);
      await Promise.all(b.tests.map(async (t, i) => {
        const failures = Number(counts[`check_${i}`]);
        try {
          report(t, await withStillFailing(t, foundOf(failures, counts[`failing_${i}`])), Date.now() - t0);
        } catch (e) {
          broken(t, e, Date.now() - t0);
        }
      }));
    } catch (e) {
      b.tests.forEach((t) => broken(t, e, Date.now() - t0));
    }
  });
  await Promise.all([...batched, ...rest.map(async (t) => {
    const t0 = Date.now();
    try {
      const keep = t.kind === 'relationships' && t.check;
      const [row] = await db.sql.unsafe(`select count(*)::int as failures${keep ? `, (array_agg(value::text))[1:${keepValues + 1}] as failing` : ''}
        from (\n${t.sql.replace(/;\s*$/, '')}\n) as test`);
      report(t, await withStillFailing(t, foundOf(row.failures, row.failing)), Date.now() - t0);
    } catch (e) {
      broken(t, e, Date.now() - t0);
    }
  })]);
  if (outcomes.length && runId) {
    await db.sql`insert into meta.test_state (test, model, status, run_id, scope, failing)
      select test, model, status, ${runId}, scope, failing from jsonb_to_recordset(${outcomes as never}::jsonb)
        as x(test text, model text, status text, scope text, failing text[])
      on conflict (test) do update set model = excluded.model, status = excluded.status, run_id = excluded.run_id,
        scope = excluded.scope, failing = excluded.failing, updated_at = now()`;
  }
  return failed ? 'error' : 'success';
}

/** A test's failures: how many, and (relationships, when not too many) which values, as text. */
interface Found {
  failures: number;
  failing: string[] | null;
}

/** `values`: the failing values a query returned (relationships); kept when there are not too many. */
const foundOf = (failures: number, values: unknown): Found => ({
  failures,
  failing: failures === 0 ? [] : Array.isArray(values) && failures <= keepValues ? values.map(String) : null,
});

/**
 * The tests that may check only the rows this run wrote, with the xid that wrote them. A test qualifies
 * when its model was merged (not rebuilt) in this run, it uses a shipped template, its last outcome is
 * fully known (a pass, or for relationships the failing values themselves) from a run at or after the
 * model's previous build, so every older row was checked, and, for relationships, no build of the parent
 * since then took away a value of the referenced column (meta.key_removals, written in each build's own
 * transaction). Anything else checks every row.
 */
async function changedRowScopes(db: Database, compiled: CompiledProject, tests: DataTest[], written: Written): Promise<Map<string, Scope>> {
  const candidates = tests.filter((t) => written.xids.has(t.model) && (t.kind !== 'relationships' || t.parent
    && recordsKeyRemovals(compiled.nodes.get(t.parent.model)?.config.materialized as string)));
  if (!candidates.length) return new Map();
  const rows = await db.sql`
    select x.test, s.run_id as since, coalesce(s.failing, '{}') as failing,
      (select c.reltuples from pg_class as c where c.oid = to_regclass(x.parent_relation)) as parent_rows,
      case when cardinality(s.failing) > 0 then
        (select format_type(a.atttypid, a.atttypmod) from pg_attribute as a
         where a.attrelid = to_regclass(x.relation) and a.attname = x.column_name) end as value_type,
      x.parent is null or not exists (
        select 1 from meta.key_removals as build
        where build.node = x.parent and build.run_id > s.run_id
          and not exists (select 1 from meta.key_removals as ok where ok.node = build.node and ok.run_id = build.run_id
                          and ok.field = x.field and ok.removed = 0)) as parent_kept
    from jsonb_to_recordset(${candidates.map((t) => ({
      test: t.name, parent: t.parent?.model ?? null, field: t.parent?.field ?? null,
      relation: t.check?.relation ?? null, column_name: t.check ? t.column : null,
      parent_relation: t.check?.to_relation ?? null,
    })) as never}::jsonb)
      as x(test text, parent text, field text, relation text, column_name text, parent_relation text)
    join meta.test_state as s on s.test = x.test
      and (s.status = 'pass' or (s.failing is not null and x.relation is not null))`;
  const byName = new Map(candidates.map((t) => [t.name, t]));
  const scopes = new Map<string, Scope>();
  for (const r of rows) {
    const t = byName.get(r.test)!;
    const previousBuild = written.previous.get(t.model)?.run_id ?? Infinity;
    const failing = r.failing as string[];
    if (failing.length && !r.value_type) continue;
    if (r.parent_kept && Number(r.since) >= previousBuild) {
      scopes.set(t.name, { xid: written.xids.get(t.model)!, failing, valueType: r.value_type ?? undefined,
        parentRows: r.parent_rows === null ? undefined : Number(r.parent_rows) });
    }
  }
  return scopes;
}

/** The relations a node reads through its refs, looking through ephemeral models to what they read. */
function inputsOf(node: Node, compiled: CompiledProject, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const ref of node.refs) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    const parent = compiled.nodes.get(ref)!;
    if (parent.config.materialized === 'ephemeral') {
      out.push(...inputsOf(parent, compiled, seen));
      for (const k of parent.sources) {
        const src = compiled.sources.get(k)!;
        out.push(`${src.schema}.${src.name}`);
      }
    } else out.push(`${parent.config.schema}.${(parent.config.alias as string) ?? parent.name}`);
  }
  return out;
}
