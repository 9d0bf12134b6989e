/** The CLI spawned as a user runs it, and what a run leaves in `target/`. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, repoRoot } from './files.js';
import { suiteDatabase, type TestDatabase } from './database.js';

/** The compiled CLI, `dist/runner/src/cli.js`. */
export const cliPath = join(repoRoot, 'dist', 'runner', 'src', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `node dist/runner/src/cli.js ...args`; `env` entries set to undefined are removed. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, cli = cliPath) {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  const child = spawn(process.execPath, [cli, ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, ...out }));
  });
  return { child, out, done };
}

/** Runs the CLI to its end. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, cli = cliPath): Promise<CliResult> {
  return startCli(args, env, cli).done;
}

export interface RunResultsFile {
  run_id: number;
  status: string;
  exitCode: number;
  /** 'postgres' or 'citus' (with its worker nodes). */
  target?: string;
  workers?: number;
  results: { node: string; kind: string; status: string; rows: number | null; message?: string;
    started_at?: string; finished_at?: string }[];
}

export function readRunResults(projectDir: string): RunResultsFile {
  return JSON.parse(readFileSync(join(projectDir, 'target', 'run_results.json'), 'utf8')) as RunResultsFile;
}

/** The node results of a run by name. */
export function byNode(results: RunResultsFile['results']): Map<string, RunResultsFile['results'][number]> {
  return new Map(results.map((r) => [r.node, r]));
}

/** True when the half-open intervals [a0, a1) and [b0, b1) share some time. */
export function overlaps(a: { started_at?: string; finished_at?: string }, b: { started_at?: string; finished_at?: string }): boolean {
  const [a0, a1, b0, b1] = [a.started_at, a.finished_at, b.started_at, b.finished_at].map((t) => Date.parse(t!));
  return a0 < b1 && b0 < a1;
}

/** What `suiteProject` gives a suite: its database, its project folder, and the CLI run on both. */
export interface SuiteProject {
  db: TestDatabase;
  dir: string;
  cli(...args: string[]): Promise<CliResult>;
}

/**
 * A suite's own database and project folder (holding `files`), made before its tests and removed after
 * them; `cli` runs a command on that project and database. Call inside `describe`.
 */
export function suiteProject(files: Record<string, string>, prefix: string): SuiteProject {
  const suite: SuiteProject = {
    db: undefined as unknown as TestDatabase,
    dir: '',
    cli: (...args) => runCli([...args, '--project-dir', suite.dir], { DATABASE_URL: suite.db.url }),
  };
  const dirs = suiteDatabase((d) => (suite.db = d));
  before(() => {
    dirs.push((suite.dir = makeProject(files, prefix)));
  });
  return suite;
}
