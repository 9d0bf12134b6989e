import type { Sql } from '../db/connection.js';
import { UserError } from '../errors.js';
import { ensureTables } from '../ingest/tables.js';
import { failedModels, runUnitTests, selectUnitTests } from '../unit/run.js';
import type { UnitTest } from '../unit/spec.js';
import type { RunContext, RunOptions } from './context.js';

type Prepared = Pick<RunContext, 'project' | 'compiled'>;

/**
 * The unit tests `build-models` runs before it builds: those of the selected models, unless
 * --skip-unit-tests (or nothing is built). Checked while the run is still compiling, so that a test
 * written wrong stops it (exit 2) before the database is touched.
 */
export function plannedUnitTests(prepared: Prepared, planned: string[], opts: RunOptions): UnitTest[] {
  if (opts.command !== 'build-models' || opts.skipUnitTests || opts.testsOnly || !planned.length) return [];
  return selectUnitTests(prepared.project, prepared.compiled, planned);
}

/**
 * What the unit tests read of a new database, made before they and ingest go side by side: the raw
 * tables, whose column types the inputs of sources take (ingest would make them too, at the same time).
 */
export async function unitTestsReady(ctx: RunContext, tests: UnitTest[]): Promise<void> {
  if (tests.length && ctx.project.sources.length) await ensureTables(ctx.lock.conn as unknown as Sql, ctx.project.sources);
}

/**
 * Runs them on sessions of their own (beside ingest, which they don't need) and marks the models
 * whose tests failed: the build leaves those unbuilt, and skips what depends on them.
 */
export async function unitTestStep(ctx: RunContext, tests: UnitTest[]): Promise<void> {
  if (!tests.length) return;
  const results = await runUnitTests({ db: ctx.db, project: ctx.project, compiled: ctx.compiled, logger: ctx.logger, runId: ctx.runId }, tests);
  ctx.results.push(...results);
  for (const [model, failed] of failedModels(tests, results)) {
    const files = [...new Set(failed.map((t) => t.file))].join(', ');
    ctx.blocked.set(model, new UserError('test_failed', `model "${model}" not built: its unit test${failed.length > 1 ? 's' : ''} ` +
      `${failed.map((t) => `"${t.name}"`).join(', ')} failed (${files}); see the diff, or run npm run unit-tests -- --select ${model}`));
  }
}
