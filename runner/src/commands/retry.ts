import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { projectError, usageError } from '../errors.js';
import { prepare } from '../compile/prepare.js';
import { testNamesOf } from '../project/project.js';
import type { RunSummary } from '../run/context.js';

const retryable = ['build-models', 'snapshot', 'ingest'];

/**
 * `retry`: runs again what failed or was skipped in the last run, as target/run_results.json tells,
 * with that run's flags. A failed data test brings its model (built again, which may repair it, then
 * tested); a run that failed before any node (ingest, the database) is run again whole.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const own = parseArgs(argv, specOf('retry'), 'retry');
  if (own.positional.length) throw usageError(`unexpected argument "${own.positional[0]}" for "retry"; it runs again what the last run left undone`);
  const file = join(ctx.projectDir, 'target', 'run_results.json');
  if (!existsSync(file)) throw usageError('no last run to retry: target/run_results.json is missing; run build-models first');
  let last: RunSummary;
  try {
    last = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch (e) {
    throw projectError(`cannot read target/run_results.json: ${(e as Error).message}; run build-models again`);
  }
  const which = `the last run (run ${last.run_id}, ${last.command})`;
  if (!retryable.includes(last.command)) {
    throw usageError(`${which} can't be retried: retry runs again build-models, snapshot and ingest; run ${last.command} again instead`);
  }
  if (last.status === 'success') {
    process.stdout.write(`nothing to retry: ${which} succeeded\n`);
    return 0;
  }
  const { compiled, graph } = prepare(ctx.projectDir, ctx.logger);
  const modelOfTest = new Map<string, string>();
  for (const node of compiled.nodes.values()) {
    for (const test of testNamesOf(node.name, node.tests)) modelOfTest.set(test, node.name);
  }
  const again = new Set<string>();
  let whole = false;
  for (const r of last.results) {
    if (r.kind === 'model' && (r.status === 'error' || r.status === 'skipped')) {
      if (compiled.nodes.has(r.node)) again.add(r.node);
      else if (r.node === 'run') whole = true;
    } else if (r.kind === 'test' && r.status === 'fail') {
      const model = modelOfTest.get(r.node) ?? (compiled.nodes.has(r.node) ? r.node : undefined);
      if (model) again.add(model);
    }
  }
  const recorded = dropSelection(last.args ?? [], last.command);
  // the flags given to retry itself (the database, --threads) come last: they win
  const mine = argv.filter((a, i) => !/^--project-dir/.test(a) && !/^--project-dir$/.test(argv[i - 1] ?? ''));
  let args: string[];
  if (whole || last.command === 'ingest') {
    args = [...(last.args ?? []), ...mine];
    process.stdout.write(`retrying ${which} whole: it failed before its nodes ran\n`);
  } else if (!again.size) {
    process.stdout.write(`nothing to retry: ${which} failed, but none of its nodes or tests is still in the project\n`);
    return 0;
  } else {
    const names = graph.order.filter((n) => again.has(n));
    args = [...recorded, '--select', ...names, ...mine];
    process.stdout.write(`retrying ${names.length} node(s) of ${which}: ${names.join(' ')}\n`);
  }
  const command = await import('./build-models.js');
  return command.run(args, ctx, last.command);
}

/** The recorded flags without --select and --exclude (with their values): retry selects itself. */
function dropSelection(args: string[], command: string): string[] {
  const spec = specOf(command);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--([^=]+)/.exec(args[i])?.[1];
    if (name !== 'select' && name !== 'exclude') {
      out.push(args[i]);
      continue;
    }
    if (args[i].includes('=')) continue;
    // a list flag takes every argument up to the next flag
    while (spec[name] === 'list' && i + 1 < args.length && !args[i + 1].startsWith('--')) i++;
  }
  return out;
}
