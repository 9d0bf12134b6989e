import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, parseArgs } from './args.js';
import { specOf } from './flags.js';
import type { CommandContext } from '../cli.js';
import { usageError } from '../errors.js';
import { alive } from '../db/embedded-setup.js';

/**
 * Removes what the runner generated in the project: `target/` (compiled SQL, manifest, run results,
 * docs, caches), all of it remade by the next command. With `--all --yes`, also the embedded warehouse
 * (`.data/postgres` and the folder under /var/tmp it may link to), which holds the history of every
 * run. Nothing else: models, seeds, landing files and the Airflow DAG are the user's.
 */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const args = parseArgs(argv, specOf('clean'), 'clean');
  if (args.positional.length) throw usageError(`unexpected argument "${args.positional[0]}" for "clean"; it removes target/ (with --all --yes, the embedded warehouse too)`);
  const removed: string[] = [];
  const target = join(ctx.projectDir, 'target');
  if (existsSync(target)) {
    rmSync(target, { recursive: true, force: true });
    removed.push('target/');
  }
  if (bool(args, 'all')) removed.push(...removeWarehouse(ctx.projectDir, bool(args, 'yes')));
  process.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing to clean: no target/ in the project\n');
  return 0;
}

/** The embedded warehouse's data directory, when nothing runs on it and `yes` confirms. */
function removeWarehouse(projectDir: string, yes: boolean): string[] {
  const link = join(projectDir, '.data', 'postgres');
  if (!existsSync(link) && !isLink(link)) return [];
  const dataDir = isLink(link) ? resolve(join(projectDir, '.data'), readlinkSync(link)) : link;
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  if (pid && alive(pid)) {
    throw usageError(`the embedded warehouse in ".data/postgres" is running (pid ${pid}); stop it first (npm run db -- stop), then clean again`);
  }
  if (!yes) {
    throw usageError('--all also deletes the embedded warehouse in ".data/postgres" with the history of every run; ' +
      'add --yes to confirm (npm run clean -- --all --yes)');
  }
  if (dataDir !== link) rmSync(dataDir, { recursive: true, force: true });
  rmSync(link, { recursive: true, force: true });
  return ['.data/postgres/ (the embedded warehouse)'];
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
