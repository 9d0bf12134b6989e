import { parseArgs, num, str } from './args.js';
import { defaultOf, specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { planRun, prepare } from '../compile/prepare.js';
import { connect } from '../db/connection.js';
import { usageError } from '../errors.js';
import { flushLogs, type Logger } from '../log.js';
import { writeRunResults } from '../publish/run-results.js';
import type { NodeResult, RunSummary } from '../run/context.js';
import { readyForUnitTests } from '../unit/database.js';
import { recordPasses, unitTestKey } from '../unit/passed.js';
import { runUnitTests } from '../unit/run.js';
import { unitTestSessions } from '../unit/session.js';
import { selectUnitTests } from '../unit/spec.js';

export interface UnitTestsOptions {
  projectDir: string;
  databaseUrl?: string;
  select?: string;
  exclude?: string;
  vars?: Record<string, unknown>;
  lockTimeoutMs: number;
  logger: Logger;
}

/** `unit-tests`: the models' unit tests (DESIGN §11); exit 1 when one fails, 2 when one is written wrong. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('unit-tests'), 'unit-tests');
  if (args.positional.length) {
    throw usageError(`unexpected argument "${args.positional[0]}" for "unit-tests"; to test some models only: --select ${args.positional.join(' ')}`);
  }
  const summary = await unitTests({
    projectDir: ctx.projectDir,
    databaseUrl: str(args, 'database-url'),
    select: str(args, 'select'),
    exclude: str(args, 'exclude'),
    vars: parseVars(str(args, 'vars')),
    lockTimeoutMs: num(args, 'lock-timeout', defaultOf('unit-tests', 'lock-timeout'), 0) * 1000,
    logger: ctx.logger,
  });
  flushLogs();
  process.stdout.write(unitTestReport(summary.results));
  return summary.exitCode;
}

/** Runs the unit tests of the selected models and writes target/run_results.json. */
export async function unitTests(opts: UnitTestsOptions): Promise<RunSummary> {
  const started = Date.now();
  const prepared = prepare(opts.projectDir, opts.logger, opts.vars);
  const models = planRun(prepared, 'unit-tests', opts.select, opts.exclude);
  const tests = selectUnitTests(prepared.project, prepared.compiled, models);
  let results: NodeResult[] = [];
  if (tests.length) {
    const db = await connect({ projectDir: opts.projectDir, databaseUrl: opts.databaseUrl, logger: opts.logger, max: unitTestSessions + 1 });
    try {
      await readyForUnitTests(db, prepared.project, opts);
      results = await runUnitTests({ db, project: prepared.project, compiled: prepared.compiled, logger: opts.logger }, tests);
      // a build then runs only what changed since
      recordPasses(prepared.project, unitTestKey(prepared.project, db.display), results);
    } finally {
      await db.close();
    }
  }
  const failed = results.some((r) => r.status === 'fail');
  const summary: RunSummary = {
    run_id: 0, command: 'unit-tests', status: failed ? 'error' : 'success', exitCode: failed ? 1 : 0, results,
    started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), ms: Date.now() - started,
  };
  writeRunResults(opts.projectDir, summary);
  return summary;
}

/** One line per test, a failure in full under its line (file, test, diff), then one line of counts. */
export function unitTestReport(results: NodeResult[]): string {
  const unit = results.filter((r) => r.kind === 'unit_test');
  const failed = unit.filter((r) => r.status === 'fail');
  const lines = unit.map((r) => r.status === 'fail'
    ? `FAIL ${(r.message ?? r.node).replace(/\n/g, '\n  ')}\n`
    : `PASS ${r.node.replace(/^unit_test\.([^.]+)\./, '$1: ')} (${r.ms} ms)\n`);
  const ms = unit.reduce((sum, r) => sum + r.ms, 0);
  lines.push(unit.length
    ? `${unit.length} unit test${unit.length === 1 ? '' : 's'}: ${unit.length - failed.length} passed, ${failed.length} failed (${ms} ms)\n`
    : 'no unit tests for the selected models\n');
  return lines.join('');
}
