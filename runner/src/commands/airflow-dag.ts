import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bool, parseArgs, str } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { airflowDag, type ManifestLike } from '../publish/airflow.js';
import { writeCompiled } from '../publish/manifest.js';
import { targetDir, writeFile } from '../files/write.js';
import { usageError, UserError } from '../errors.js';
import { prepare } from '../compile/prepare.js';

export const defaultDagFile = join('airflow', 'dags', 'sales_analytics_pipeline_dag.py');

/**
 * Compiles the project (writing target/manifest.json, no database needed) and writes the Airflow DAG
 * made from that manifest. `--check` writes nothing and fails when the file on disk is stale.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('airflow-dag'), 'airflow-dag');
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}" for "airflow-dag"`);
  const { compiled, graph } = prepare(ctx.projectDir, ctx.logger);
  await writeCompiled(ctx.projectDir, compiled, graph);
  const manifest = JSON.parse(readFileSync(join(targetDir(ctx.projectDir), 'manifest.json'), 'utf8')) as ManifestLike;
  const out = resolve(ctx.projectDir, str(args, 'out') ?? defaultDagFile);
  const text = airflowDag(manifest, { dagId: str(args, 'dag-id'), pool: str(args, 'pool') });
  const shown = relative(process.cwd(), out) || out;
  if (bool(args, 'check')) {
    const current = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
    if (current !== text) {
      throw new UserError('run_failed', `"${shown}" is ${current === undefined ? 'missing' : 'stale'}; run npm run airflow-dag to regenerate it`);
    }
    process.stdout.write(`${shown} is up to date\n`);
    return 0;
  }
  writeFile(out, text);
  const tasks = (text.match(/= runner_task\(/g) ?? []).length;
  process.stdout.write(`wrote ${shown} (${tasks} tasks) from target/manifest.json\n`);
  return 0;
}
