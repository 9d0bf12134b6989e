import type { Sql } from '../db/connection.js';
import { UserError } from '../errors.js';
import { ensureTables } from '../ingest/tables.js';
import { knownPasses, recordPasses } from '../unit/passed.js';
import { declared, selectUnitTests, type UnitTest } from '../unit/spec.js';
import type { NodeResult, RunContext, RunOptions } from './context.js';

type Prepared = Pick<RunContext, 'project' | 'compiled'>;

/**
 * The unit tests `build-models` runs before it builds a model: those of the selected models, unless
 * --skip-unit-tests (or nothing is built). Checked while the run is still compiling, so that a test
 * written wrong stops it (exit 2) before the database is touched.
 */
export function plannedUnitTests(prepared: Prepared, planned: string[], opts: RunOptions, key: string): PlannedUnitTests {
  if (opts.command !== 'build-models' || opts.skipUnitTests || opts.testsOnly || !planned.length || !prepared.project.unitTests.length) {
    return { tests: [], key, unchanged: 0 };
  }
  // tests known to pass under the same key (see passed.ts) are neither parsed nor run
  const known = knownPasses(prepared.project, key);
  const selected = new Set(planned);
  const unchanged = prepared.project.unitTests.map(declared).filter(({ model, id }) => known.has(id) && selected.has(model)).length;
  return { tests: selectUnitTests(prepared.project, prepared.compiled, planned, known), key, unchanged };
}

/** The unit tests a build runs, the key their passes are kept under, and how many are known to pass. */
export interface PlannedUnitTests {
  tests: UnitTest[];
  key: string;
  unchanged: number;
}

/**
 * What the unit tests read of a new database, made before they and ingest go side by side: the raw
 * tables, whose column types the inputs of sources take (ingest would make them too, at the same time).
 */
export async function unitTestsReady(ctx: RunContext, { tests }: PlannedUnitTests): Promise<void> {
  if (tests.length && ctx.project.sources.length) await ensureTables(ctx.lock.conn as unknown as Sql, ctx.project.sources);
}

/**
 * Starts them on sessions of their own, beside ingest and the build, and gives each tested model a gate
 * in `ctx.unitGates`: it settles when that model's tests are done, and rejects (the model is not built,
 * what depends on it is skipped) when one failed. A model waits for its own tests only, and the tests
 * run upstream first, so they seldom hold the build up. Tests known to pass under the same code (see
 * passed.ts) don't run again. The returned promise ends with the last test.
 */
export function startUnitTests(ctx: RunContext, { tests, key, unchanged }: PlannedUnitTests): Promise<void> {
  if (unchanged) ctx.logger.info(`${unchanged} unit test(s) unchanged since they passed (npm run unit-tests runs them again)`);
  if (!tests.length) return Promise.resolve();
  const left = new Map<string, UnitTest[]>();
  for (const t of tests) left.set(t.model, [...(left.get(t.model) ?? []), t]);
  const gates = new Map([...left.keys()].map((model) => [model, settleable()]));
  for (const [model, gate] of gates) ctx.unitGates.set(model, gate.promise);
  const failed = new Map<string, UnitTest[]>();
  const onResult = (test: UnitTest, result: NodeResult) => {
    ctx.results.push(result);
    if (result.status === 'fail') failed.set(test.model, [...(failed.get(test.model) ?? []), test]);
    const rest = left.get(test.model)!.filter((t) => t !== test);
    left.set(test.model, rest);
    if (rest.length) return;
    const gate = gates.get(test.model)!;
    const failures = failed.get(test.model);
    if (failures) gate.reject(notBuilt(test.model, failures));
    else gate.resolve();
  };
  // what runs them loads only when some test runs (a build of unchanged tests needs none of it)
  return import('../unit/run.js')
    .then(({ runUnitTests }) => runUnitTests({ db: ctx.db, project: ctx.project, compiled: ctx.compiled, logger: ctx.logger, runId: ctx.runId, onResult }, tests))
    .then((results) => recordPasses(ctx.project, key, results), (e: unknown) => {
      for (const gate of gates.values()) gate.reject(e);
      throw e;
    });
}

function notBuilt(model: string, failed: UnitTest[]): Error {
  const files = [...new Set(failed.map((t) => t.file))].join(', ');
  return new UserError('test_failed', `model "${model}" not built: its unit test${failed.length > 1 ? 's' : ''} ` +
    `${failed.map((t) => `"${t.name}"`).join(', ')} failed (${files}); see the diff, or run npm run unit-tests -- --select ${model}`);
}

/** A promise settled from outside; a rejection nobody waits for (a model skipped anyway) is not reported. */
function settleable() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
