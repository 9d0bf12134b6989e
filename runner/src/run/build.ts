import { join } from 'node:path';
import type { Node } from '../compile/compile.js';
import { collapseGraph, type Graph } from '../dag/graph.js';
import { nodeKey, readCatalog, type Catalog, type Relation } from '../db/catalog.js';
import type { Database } from '../db/connection.js';
import { ConnectionLost, lostConnection } from '../db/loss.js';
import type { Session } from '../db/session.js';
import { targetDir, writeChangedFiles } from '../files/write.js';
import { blocksAsCtes } from '../compile/repartition.js';
import { statement } from '../sql/statements.js';
import { loadTemplates } from '../sql/templates.js';
import type { RunContext, Watermark } from './context.js';
import { watchedColumns } from './data-tests.js';
import { describeFailure } from './failure.js';
import { materialize, NodeSqlError, viewSql, type NodeOutcome, type NodeRunContext } from './materialize.js';
import { lineageOf, sqlForRun, withWorkTables } from './node-sql.js';
import { readWatermarks } from './run-record.js';
import { definitionOf, inputsDeclared, readChangeState, skippable, unchangedSince, type ChangeState } from './unchanged.js';
import { schedule, type Scheduled } from './scheduler.js';
import { retypeFailure, shapeContext } from './schema-change.js';

/** Models that build a relation: ephemeral models are inlined, singular tests are queries. */
export const buildable = (node: Node) => !['ephemeral', 'test'].includes(node.config.materialized);

/** What the nodes of one build step share while they run. */
interface Build {
  ctx: RunContext;
  sessions: Session[];
  /** The relations as they stand, updated as nodes finish: later nodes see what earlier ones left. */
  catalog: Catalog;
  existedBefore: Set<string>;
  nodeRun: NodeRunContext;
  /** The DAG of buildable nodes (ephemeral ones looked through). */
  graph: Graph;
  /** The SQL each node ran, written to target/run/ once at the end, not a file per node on the hot path. */
  runFiles: Map<string, string>;
  runDir: string;
  /** When events without a time of their own (snapshots without updated_at) happen. */
  runTime: string;
  /** What tells whether a node may be left alone (see unchanged.ts). */
  changes: ChangeState;
  /** Nodes left alone in this run, with what their result says. */
  unchanged: Map<string, string>;
}

const none: Watermark = { run_id: 0, batch_id: 0 };

/**
 * Builds the planned nodes in DAG order on the run's sessions (`--threads`), each in one transaction; a
 * failed node's descendants are skipped and independent nodes go on. Ready views share one round trip.
 * Fills `ctx.results` and `ctx.written`.
 */
export async function buildNodes(ctx: RunContext, reserved: Promise<Session[]>): Promise<'success' | 'error'> {
  const { compiled, planned } = ctx;
  const runnable = planned.filter((n) => buildable(compiled.nodes.get(n)!));
  const b = await prepareBuild(ctx, runnable, reserved);
  try {
    const outcome = await schedule(runnable, b.graph, b.sessions.length, (name, worker) => runNode(b, name, worker),
      (name, because) => ctx.logger.event({ event: 'node', run_id: ctx.runId, node: name, status: 'skipped',
        message: `skipped: upstream "${because}" failed` }),
      { canGroup: (name) => compiled.nodes.get(name)!.config.materialized === 'view' && !ctx.unitGates.has(name), max: 1000,
        run: (names, worker) => runViews(b, names, worker) });
    const failed = collectResults(b, runnable, outcome);
    // nodes that failed for want of a connection say nothing about the models: the run failed
    const lost = runnable.map((n) => outcome.get(n)!.error).find((e) => e instanceof ConnectionLost);
    if (lost) throw lost;
    return failed ? 'error' : 'success';
  } finally {
    for (const s of b.sessions) s.release();
    await writeChangedFiles(b.runFiles, join(b.runDir, '.written.json'));
  }
}

async function prepareBuild(ctx: RunContext, runnable: string[], reserved: Promise<Session[]>): Promise<Build> {
  const { compiled, project } = ctx;
  const schemas = [...new Set(runnable.map((n) => compiled.nodes.get(n)!.config.schema))];
  // one round trip on the lock's session: the statements go out together and come back in order
  const conn = ctx.lock.conn as unknown as Database['sql'];
  const { target } = ctx.db.target;
  const [, catalog, previous, changes] = await Promise.all([
    schemas.length ? conn.unsafe(statement('run/create-schemas', { schemas })) : null,
    readCatalog(conn, schemas, target), readWatermarks(conn), readChangeState(conn)]);
  ctx.written.previous = previous;
  const definitions = new Map(runnable.map((n) => compiled.nodes.get(n)!).filter(skippable)
    .map((node) => [node.name, definitionOf(node, compiled)]));
  // on Citus no build says which referenced values it removed (that needs temporary tables, which live on
  // the coordinator alone): relationships tests there check every row
  const nodeRun: NodeRunContext = { runId: ctx.runId, fullRefresh: Boolean(ctx.opts.fullRefresh), catalog, target,
    templates: loadTemplates('materializations', project.dir, target),
    watched: target === 'citus' ? new Map() : watchedColumns(compiled.nodes), definitions, beforeStatement: ctx.opts.beforeStatement };
  return {
    ctx, catalog, nodeRun,
    sessions: await reserved,
    existedBefore: new Set(catalog.keys()),
    graph: collapseGraph(ctx.graph, new Set([...compiled.nodes.keys()].filter((n) => buildable(compiled.nodes.get(n)!)))),
    runFiles: new Map(),
    runDir: join(targetDir(project.dir), 'run'),
    runTime: new Date().toISOString().replace('T', ' ').replace('Z', ''),
    changes,
    unchanged: new Map(),
  };
}

function announce(b: Build, node: Node): void {
  const { logger, runId, lineage } = b.ctx;
  logger.event({ event: 'node', run_id: runId, node: node.name, status: 'start' });
  if (lineage.enabled) lineage.node('START', runId, lineageOf(node, b.ctx.compiled));
}

function succeeded(b: Build, node: Node, out: NodeOutcome, ms: number, existing: Relation | undefined) {
  const { logger, runId, lineage, opts } = b.ctx;
  logger.event({ event: 'node', run_id: runId, node: node.name, status: 'success', ms, rows: out.rows });
  if (lineage.enabled) lineage.node('COMPLETE', runId, lineageOf(node, b.ctx.compiled));
  b.runFiles.set(join(b.runDir, node.path), out.sql + '\n');
  if (out.written) b.ctx.written.keys.set(node.name, out.written);
  b.catalog.set(nodeKey(node), {
    schema: node.config.schema, name: (node.config.alias as string) ?? node.name,
    kind: node.config.materialized === 'view' ? 'view' : 'table',
    columns: existing && node.config.materialized !== 'view' && existing.columns.length && !opts.fullRefresh
      ? existing.columns : [],
    hasDependents: existing?.hasDependents ?? false,
  });
  return { rows: out.rows, ms };
}

function checkLock(b: Build): void {
  if (!b.ctx.lock.held) throw new ConnectionLost(b.ctx.db.display, 'the connection holding the run lock closed');
}

async function runNode(b: Build, name: string, worker: number, announced = false) {
  const { compiled, db, logger, runId, lineage } = b.ctx;
  const node = compiled.nodes.get(name)!;
  checkLock(b);
  try {
    await b.ctx.unitGates.get(name);
  } catch (e) {
    logger.event({ event: 'node', run_id: runId, node: name, status: 'error', ms: 0, message: (e as Error).message });
    throw e;
  }
  if (!announced) announce(b, node);
  const t0 = Date.now();
  const existing = b.catalog.get(nodeKey(node));
  const since = existing && !b.ctx.opts.fullRefresh && skippable(node)
    ? unchangedSince(node, compiled, b.changes, b.nodeRun.definitions!.get(name)!) : undefined;
  if (since !== undefined) return leftAlone(b, node, since, Date.now() - t0);
  try {
    const out = await materializeNode(b, node, b.sessions[worker].sql, existing);
    b.changes.ran.add(name);
    if (out.changed !== false) b.changes.changed.add(name);
    return succeeded(b, node, out, Date.now() - t0, existing);
  } catch (caught) {
    const e = lostConnection(caught instanceof NodeSqlError ? caught.cause : caught, db.display) ?? caught;
    if (caught instanceof NodeSqlError) b.runFiles.set(join(b.runDir, node.path), caught.sql + '\n');
    const failure = describeFailure(node, e, Boolean(existing));
    logger.event({ event: 'node', run_id: runId, node: name, status: 'error', ms: Date.now() - t0, message: failure });
    if (lineage.enabled) lineage.node('FAIL', runId, { ...lineageOf(node, compiled), message: failure });
    throw e;
  }
}

/**
 * A node nothing of which changed since run `since`: not built. Its data tests have no new rows to
 * check (see changedRowScopes).
 */
function leftAlone(b: Build, node: Node, since: number, ms: number) {
  const { logger, runId, lineage } = b.ctx;
  const message = `unchanged: nothing it reads or is made of changed since run ${since}`;
  logger.event({ event: 'node', run_id: runId, node: node.name, status: 'success', ms, rows: 0, message });
  if (lineage.enabled) lineage.node('COMPLETE', runId, lineageOf(node, b.ctx.compiled));
  b.ctx.written.keys.set(node.name, { relation: '', columns: [], none: true });
  b.unchanged.set(node.name, message);
  return { rows: 0, ms };
}

/**
 * One node's materialization. A value that fails a fast cast (SQLSTATE class 22) makes the node build
 * again with the macros' per-row safe parsing, which accepts exactly the same values (see the macros).
 */
async function materializeNode(b: Build, node: Node, conn: Session['sql'], existing: Relation | undefined): Promise<NodeOutcome> {
  const { compiled, opts, runId } = b.ctx;
  const fullRefresh = Boolean(opts.fullRefresh);
  // what the node saw when it last succeeded; nothing when it is rebuilt from scratch
  const prev = existing && !fullRefresh ? b.ctx.written.previous.get(node.name) ?? none : none;
  // on Citus a table's {{#repartition}} blocks are work tables (see repartition.ts); a view keeps them as CTEs
  const onWorkers = b.nodeRun.target === 'citus' && node.config.materialized !== 'view';
  const sqlFor = (safe: boolean) => sqlForRun(node, compiled, existing, prev, { runId, fullRefresh, safe, workTables: onWorkers });
  const sql = sqlFor(false);
  // what it is built from is recorded only when its inputs are known: then a later run may leave it alone
  if (skippable(node) && !(await inputsDeclared(conn, node, compiled, blocksAsCtes(sql)))) b.nodeRun.definitions!.set(node.name, '');
  // a snapshot's context, and what a merge does about columns changed since its table was built
  const shape = await shapeContext(conn, node, blocksAsCtes(sql), existing, { runId, runTime: b.runTime, fullRefresh });
  const extra: Record<string, unknown> = { prev, ...shape.context };
  if (shape.warning) b.ctx.logger.warn(shape.warning);
  const run = async (text: string) => {
    if (!onWorkers) return materialize(conn as never, node, text, b.nodeRun, extra);
    const built = await withWorkTables(conn, node, text, { runId, existing });
    return materialize(conn as never, node, built.sql, b.nodeRun, { ...extra, work_tables: built.workTables });
  };
  try {
    return await run(sql);
  } catch (e) {
    const retype = e instanceof NodeSqlError ? retypeFailure(node, e, e.statement, shape.diff) : undefined;
    if (retype) throw retype;
    const code = e instanceof NodeSqlError ? (e.cause as { code?: string })?.code : undefined;
    if (!code?.startsWith('22')) throw e;
    b.ctx.logger.info(`${node.name}: a value failed a fast cast (${(e as Error).message}); building again with per-row parsing`);
    return run(sqlFor(true));
  }
}

/**
 * Ready views share one round trip: their statements run as one implicit transaction (each view is only
 * a definition). If any fails, nothing of the group stays, and each is built alone to find it. The
 * group's time is shared among its views.
 */
async function runViews(b: Build, names: string[], worker: number): Promise<PromiseSettledResult<{ rows: number | null; ms: number }>[]> {
  checkLock(b);
  const { compiled, runId, opts } = b.ctx;
  const nodes = names.map((n) => compiled.nodes.get(n)!);
  const existing = nodes.map((node) => b.catalog.get(nodeKey(node)));
  const texts = nodes.map((node, i) => viewSql(node,
    sqlForRun(node, compiled, existing[i], none, { runId, fullRefresh: Boolean(opts.fullRefresh), safe: false }), b.nodeRun, { prev: none }));
  nodes.forEach((node) => announce(b, node));
  const t0 = Date.now();
  try {
    await b.sessions[worker].sql.unsafe(texts.join(';\n'));
  } catch (e) {
    const lost = lostConnection(e, b.ctx.db.display);
    if (lost) throw lost;
    return runOneByOne(b, names, worker);
  }
  const ms = Math.round((Date.now() - t0) / names.length);
  return nodes.map((node, i) => ({ status: 'fulfilled' as const, value: succeeded(b, node, { rows: null, sql: texts[i] }, ms, existing[i]) }));
}

/** A failed group's views one by one, in order; a view after a failed one is left for the scheduler to skip. */
async function runOneByOne(b: Build, names: string[], worker: number) {
  const settled: PromiseSettledResult<{ rows: number | null; ms: number }>[] = [];
  const failed = new Set<string>();
  for (const name of names) {
    if (b.graph.parents.get(name)!.some((p) => failed.has(p))) {
      failed.add(name);
      settled.push({ status: 'rejected', reason: new Error('an upstream view failed') });
      continue;
    }
    settled.push(await runNode(b, name, worker, true).then((value) => ({ status: 'fulfilled' as const, value }), (reason) => {
      failed.add(name);
      return { status: 'rejected' as const, reason };
    }));
  }
  return settled;
}

/** Each node's outcome into the run's results; true when some node failed or was skipped. */
function collectResults(b: Build, runnable: string[], outcome: Map<string, Scheduled<unknown>>): boolean {
  const { compiled, results, logger } = b.ctx;
  let failed = false;
  for (const name of runnable) {
    const s = outcome.get(name)!;
    const node = compiled.nodes.get(name)!;
    const ms = s.finishedAt && s.startedAt ? s.finishedAt - s.startedAt : 0;
    const base = { node: name, path: node.path, kind: 'model' as const, ms, thread: s.worker,
      started_at: s.startedAt ? new Date(s.startedAt).toISOString() : undefined,
      finished_at: s.finishedAt ? new Date(s.finishedAt).toISOString() : undefined };
    if (s.status === 'success') {
      results.push({ ...base, status: 'success', rows: (s.result as { rows: number | null }).rows, message: b.unchanged.get(name) });
    } else if (s.status === 'error') {
      failed = true;
      results.push({ ...base, status: 'error', rows: null, message: describeFailure(node, s.error, b.existedBefore.has(nodeKey(node))) });
    } else {
      failed = true;
      results.push({ ...base, status: 'skipped', rows: null, message: `upstream "${s.because}" failed` });
    }
  }
  const skipped = results.filter((r) => r.status === 'skipped').map((r) => r.node);
  if (skipped.length) logger.warn(`skipped because an upstream node failed: ${skipped.join(', ')}`);
  return failed;
}
