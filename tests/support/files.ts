/**
 * Folders of the tests: the repository itself, and temporary projects and landing folders that a suite
 * makes and removes after its tests. Needs no database.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from `dist/tests/support/`): the project whose models some suites test. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A copy of the repository's project (models, macros, migrations, seeds) in a new folder every user can enter. */
export function copyOfProject(prefix = 'sadp-repo-project-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  for (const f of ['models', 'macros', 'migrations', 'seeds']) {
    if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(dir, f), { recursive: true });
  }
  return dir;
}

let shared: string | undefined;

/**
 * The repository's project as the suites build it: one copy per test process, removed when the process
 * exits. Runs write target/ there, not over a developer's own manifest and run results in the repository.
 */
export function repoProject(): string {
  if (!shared) {
    const dir = (shared = copyOfProject());
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return shared;
}

/** Writes `files` (paths relative to `dir`) into `dir`, making folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A temporary project folder holding `files` (mode 700, as `mkdtemp` makes it); the caller removes it. */
export function makeProject(files: Record<string, string>, prefix = 'sadp-project-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFiles(dir, files);
  return dir;
}

/**
 * Temporary folders for a suite: the returned function makes one (holding `files`), and every folder it
 * made is removed after the suite's tests. Call inside `describe`.
 */
export function suiteFolders(prefix = 'sadp-project-'): (files?: Record<string, string>) => string {
  const made: string[] = [];
  after(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (files = {}) => {
    const dir = makeProject(files, prefix);
    made.push(dir);
    return dir;
  };
}
