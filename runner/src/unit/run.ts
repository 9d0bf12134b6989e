import type { CompiledProject } from '../compile/compile.js';
import type { Database, Sql } from '../db/connection.js';
import type { Logger } from '../log.js';
import type { Project } from '../project/project.js';
import type { NodeResult } from '../run/context.js';
import { statement } from '../sql/statements.js';
import { loadTemplates } from '../sql/templates.js';
import { runUnitTest } from './execute.js';
import { Shapes } from './shapes.js';
import type { UnitTest } from './spec.js';
import { unitTestSessions, type UnitSession } from './session.js';

export interface UnitRunOptions {
  db: Database;
  project: Project;
  compiled: CompiledProject;
  /** The models whose unit tests run (a selection); all when undefined. */
  models?: string[];
  logger: Logger;
  runId?: number;
  /** Called as each test ends (the build lets a model go once its tests passed). */
  onResult?: (test: UnitTest, result: NodeResult) => void;
}

/**
 * Runs unit tests on sessions of their own, each in its temporary schema (dropped at the end, and by the
 * server if the session dies): the warehouse's relations are neither read nor written. Each test's
 * outcome goes to the log as it ends and comes back, in the tests' order, as a result like a data test's.
 */
export async function runUnitTests(opts: UnitRunOptions, tests: UnitTest[]): Promise<NodeResult[]> {
  if (!tests.length) return [];
  const results: NodeResult[] = new Array(tests.length);
  let next = 0;
  const materializations = loadTemplates('materializations', opts.project.dir);
  const worker = async () => {
    const session = await opts.db.reserve();
    const conn = session.sql as unknown as Sql;
    try {
      const [{ rejects }] = await conn.unsafe(statement('unit/warehouse'));
      await conn.unsafe(statement('unit/scratch', { rejects }));
      const s: UnitSession = { conn, compiled: opts.compiled, shapes: new Shapes(conn, opts.compiled, materializations), materializations, rejects };
      for (let i = next++; i < tests.length; i = next++) {
        results[i] = await runOne(s, tests[i], opts);
        opts.onResult?.(tests[i], results[i]);
      }
    } finally {
      await conn.unsafe(statement('unit/discard')).catch(() => {});
      session.release();
    }
  };
  await Promise.all(Array.from({ length: Math.min(unitTestSessions, tests.length) }, worker));
  return results;
}

async function runOne(s: UnitSession, test: UnitTest, opts: UnitRunOptions): Promise<NodeResult> {
  const started = Date.now();
  const outcome = await runUnitTest(s, test);
  const ms = Date.now() - started;
  const message = outcome.message && `${test.model}: unit test "${test.name}" (${test.file}) failed\n${outcome.message}`;
  opts.logger.event({ event: 'unit_test', run_id: opts.runId, node: test.id, model: test.model, file: test.file,
    status: outcome.status, ms, message });
  // no start and end: the docs' timeline shows the nodes of a run, as for data tests
  return { node: test.id, path: test.file, kind: 'unit_test', status: outcome.status, ms, rows: null, message };
}
