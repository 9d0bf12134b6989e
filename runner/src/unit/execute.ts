import { renderModel, type Node } from '../compile/compile.js';
import { nodeKey, type Catalog } from '../db/catalog.js';
import { UserError } from '../errors.js';
import { materialize, NodeSqlError, type NodeRunContext } from '../run/materialize.js';
import { snapshotContext } from '../run/snapshot.js';
import { statement } from '../sql/statements.js';
import { compareRows } from './compare.js';
import { createInputs, createOwnTable, loadStep, type StepRun } from './fixtures.js';
import { inputName, resolveInScratch, scratchRelation, scratchSchema, standIn } from './relations.js';
import type { UnitSession } from './session.js';
import type { UnitTest } from './spec.js';

export interface UnitOutcome {
  status: 'pass' | 'fail';
  /** Why it failed: the diff of the first step whose rows differ, or the database's message. */
  message?: string;
}

const none = { run_id: 0, batch_id: 0 };

/**
 * Runs one unit test in the session's scratch schema: its inputs filled step by step, the model run
 * (its SELECT, or its materialization as a build would run it), the rows compared after each step. A
 * mistake in the test itself (an unknown column) is thrown as the user's error; anything the model's SQL
 * or its materialization does wrong is the test's failure.
 */
export async function runUnitTest(s: UnitSession, test: UnitTest): Promise<UnitOutcome> {
  const node = s.compiled.nodes.get(test.model)!;
  const self = standIn(node, inputName('ref', node.name));
  const relation = scratchRelation(node.name);
  const made = { tables: [] as string[], views: [] as string[] };
  let where = '';
  try {
    const inputs = await createInputs(s.conn, s.shapes, node, s.compiled.nodes);
    made.tables.push(...[...inputs.values()].map((i) => i.relation));
    (node.config.materialized === 'view' && test.mode === 'build' ? made.views : made.tables).push(relation);
    let exists = false;
    if (test.this) {
      await createOwnTable(s.conn, test, relation, await s.shapes.of('ref', node.name), test.lastRun.batch_id);
      exists = true;
    }
    const base = exists ? test.lastRun : none;
    for (const [i, step] of test.steps.entries()) {
      const run: StepRun = { run_id: base.run_id + i + 1, batch_id: base.batch_id + i + 1 };
      const prev = exists ? { run_id: run.run_id - 1, batch_id: run.batch_id - 1 } : none;
      if (test.steps.length > 1) where = `in step ${i + 1} of ${test.steps.length}: `;
      await loadStep(s.conn, test, inputs, step.given, run);
      const sqlOf = (safe: boolean) => modelSql(s, self, { exists, prev, run, safe });
      let compared = relation;
      if (test.mode === 'build') {
        await buildStep(s, self, { exists, prev, run }, sqlOf);
        exists = true;
      } else {
        compared = scratchRelation(`${node.name}:result`);
        made.tables.push(compared);
        await withSafeRetry(sqlOf, (sql) => s.conn.unsafe(statement('unit/result', { relation: compared, sql })));
      }
      if (!step.expect) continue;
      const diff = await compareRows(s, test, node, { relation: compared, expect: step.expect });
      if (diff) return { status: 'fail', message: where.replace(/^in/, 'after') + diff };
    }
    return { status: 'pass' };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const cause = e instanceof NodeSqlError ? e.cause as Error : e as Error;
    return { status: 'fail', message: `${where}${node.name} (${node.path}) failed: ${cause.message}` };
  } finally {
    await s.conn.unsafe(statement('unit/reset-scratch', { ...made, rejects: s.rejects }));
  }
}

interface StepState {
  exists: boolean;
  prev: { run_id: number; batch_id: number };
  run: StepRun;
}

/** The model's SQL for this step: its incremental branch once its table exists, inputs in the scratch schema. */
function modelSql(s: UnitSession, self: Node, step: StepState & { safe: boolean }): string {
  const watermarked = ['incremental', 'snapshot'].includes(self.config.materialized);
  const ctx = { is_incremental: step.exists && watermarked, prev: step.prev, run_id: step.run.run_id, full_refresh: false,
    vars: s.compiled.vars, safe: step.safe, meta_schema: scratchSchema };
  const { rendered } = renderModel(s.compiled.hb, self.file, ctx);
  return resolveInScratch(rendered, self, s.compiled.nodes, s.compiled.sources, inputName);
}

/** One run of the model's materialization on the scratch relations, its bookkeeping in the stand-ins. */
async function buildStep(s: UnitSession, self: Node, step: StepState, sqlOf: (safe: boolean) => string): Promise<void> {
  const catalog: Catalog = new Map();
  if (step.exists) {
    const columns = await s.shapes.columns(scratchRelation(self.name));
    catalog.set(nodeKey(self), { schema: scratchSchema, name: self.name, kind: self.config.materialized === 'view' ? 'view' : 'table',
      columns: columns.map((c) => c.name), hasDependents: false });
  }
  const nodeRun: NodeRunContext = { runId: step.run.run_id, fullRefresh: false, catalog, templates: s.materializations,
    watched: new Map(), scratch: { meta: scratchSchema, rejectedRows: `${scratchSchema}.rejected_rows` } };
  await withSafeRetry(sqlOf, async (sql) => {
    let extra: Record<string, unknown> = { prev: step.prev };
    if (self.config.materialized === 'snapshot') {
      const described = await s.conn.unsafe(statement('run/describe', { sql }));
      const columns = (described as unknown as { columns: { name: string }[] }).columns.map((c) => c.name);
      const runTime = new Date().toISOString().replace('T', ' ').replace('Z', '');
      extra = { ...extra, ...snapshotContext(self, columns, { runId: step.run.run_id, runTime, fullRefresh: false, exists: step.exists }) };
    }
    await materialize(s.conn as never, self, sql, nodeRun, extra);
  });
}

/** As a build does: a value that fails a fast cast (SQLSTATE class 22) sends the model again with per-row parsing. */
async function withSafeRetry<T>(sqlOf: (safe: boolean) => string, run: (sql: string) => Promise<T>): Promise<T> {
  try {
    return await run(sqlOf(false));
  } catch (e) {
    const code = ((e instanceof NodeSqlError ? e.cause : e) as { code?: string })?.code;
    if (!code?.startsWith('22')) throw e;
    return run(sqlOf(true));
  }
}
