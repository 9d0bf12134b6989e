import { bool, num, parseArgs, str } from './args.js';
import { defaultOf, specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { parseVars } from '../project/vars.js';
import { showRowsCommand } from '../run/hint.js';
import { runPipeline } from '../run/pipeline.js';
import { flushLogs } from '../log.js';
import { usageError } from '../errors.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** `build-models`, `snapshot` and `ingest` share one implementation: a locked run. */
export async function run(argv: string[], ctx: CommandContext, name: string): Promise<number> {
  const args = parseArgs(argv, specOf(name), name);
  if (args.positional.length) {
    throw usageError(`unexpected argument "${args.positional[0]}" for "${name}"` +
      (name === 'ingest' ? '' : `; to build some models only: --select ${args.positional.join(' ')}`));
  }
  const dataDir = str(args, 'data-dir');
  if (dataDir && !existsSync(resolve(dataDir))) throw usageError(`landing directory "${dataDir}" doesn't exist; create it or pass --data-dir`);
  const summary = await runPipeline({
    projectDir: ctx.projectDir,
    command: name as 'build-models',
    databaseUrl: str(args, 'database-url'),
    dataDir: dataDir ? resolve(dataDir) : undefined,
    select: str(args, 'select'),
    exclude: str(args, 'exclude'),
    vars: parseVars(str(args, 'vars')),
    fullRefresh: bool(args, 'full-refresh'),
    threads: num(args, 'threads', defaultOf('build-models', 'threads'), 1),
    lockTimeoutMs: num(args, 'lock-timeout', defaultOf('build-models', 'lock-timeout'), 0) * 1000,
    skipTests: bool(args, 'skip-tests'),
    skipUnitTests: bool(args, 'skip-unit-tests'),
    skipIngest: bool(args, 'skip-ingest') || bool(args, 'tests-only'),
    testsOnly: bool(args, 'tests-only'),
    fullTests: bool(args, 'full-tests') || bool(args, 'tests-only'),
    logger: ctx.logger,
    args: ownFlags(argv),
  });
  printSummary(summary);
  return summary.exitCode;
}

/** The flags a retry repeats: not where the project or the database is (retry is told those itself). */
function ownFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--(project-dir|database-url)(=|$)/.exec(argv[i]);
    if (!flag) out.push(argv[i]);
    else if (!flag[2]) i++;
  }
  return out;
}

const rejectedQuery = 'select stage, source, file, line, reason from staging.rejected_rows order by rejected_at desc, file, line';

export function printSummary(summary: Awaited<ReturnType<typeof runPipeline>>) {
  flushLogs();
  const count = (s: string, kind?: string) => summary.results.filter((r) => r.status === s && (!kind || r.kind === kind)).length;
  const models = summary.results.filter((r) => r.kind === 'model');
  const tests = summary.results.filter((r) => r.kind === 'test');
  const unit = summary.results.filter((r) => r.kind === 'unit_test');
  const n = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const parts = [`run ${summary.run_id} ${summary.status}`, n(models.length, 'node')];
  if (count('error')) parts.push(`${count('error')} failed`);
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  if (unit.length) parts.push(`${n(unit.length, 'unit test')}: ${count('pass', 'unit_test')} passed, ${count('fail', 'unit_test')} failed`);
  if (tests.length) parts.push(`${n(tests.length, 'test')}: ${count('pass', 'test')} passed, ${count('warn', 'test')} warned, ${count('fail', 'test')} failed`);
  const ingest = summary.ingest as { rows?: number; rejected?: number; files?: unknown[] } | undefined;
  if (ingest) parts.push(`ingested ${ingest.rows ?? 0} rows (${ingest.rejected ?? 0} malformed)`);
  if (summary.rejected_in_staging) parts.push(`${summary.rejected_in_staging} records failed validation`);
  parts.push(`${(summary.ms / 1000).toFixed(1)} s`);
  process.stdout.write(parts.join(', ') + '\n');
  if ((ingest?.rejected ?? 0) + (summary.rejected_in_staging ?? 0) > 0) {
    process.stdout.write(`  rejected records, newest first: ${showRowsCommand(rejectedQuery)}\n`);
  }
  for (const r of summary.results.filter((x) => x.status === 'error' || x.status === 'fail')) {
    // a unit test's diff is the point of its failure: in full; so is every message when no readable log
    // on a terminal has shown it already (its file:line, the database's detail and the fix follow line 1)
    const full = r.kind === 'unit_test' || !process.stderr.isTTY;
    const message = full ? (r.message ?? '').replace(/\n/g, '\n    ') : (r.message ?? '').split('\n')[0];
    process.stdout.write(`  ${r.status === 'fail' ? 'failed test' : 'error in'} ${r.node}: ${message}\n`);
  }
}
