/** The embedded PostgreSQL of a project, as the tests that run without DATABASE_URL look at it and clean it up. */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Process ids of servers still running on `dataDir` (`postgres -D <dataDir> ...`). */
export function serversOn(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch (e) {
    if ((e as { status?: number }).status === 1) return []; // pgrep: nothing matched
    throw e;
  }
}

/** Removes a project folder and its embedded data directory, also where `.data/postgres` links outside it. */
export function removeProject(dir: string): void {
  const link = join(dir, '.data', 'postgres');
  if (existsSync(link) && lstatSync(link).isSymbolicLink()) rmSync(readlinkSync(link), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
