/**
 * Shared fixtures of the runner's tests: a fresh database per suite, temporary project folders, and the
 * CLI spawned as a user would run it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

/** The server the suites create their databases on. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

/** The compiled CLI (`dist/runner/src/cli.js`), found from this file's place in `dist/tests/`. */
export const cliPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'runner', 'src', 'cli.js');

export interface TestDatabase {
  name: string;
  url: string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/**
 * Creates `<prefix>_<random>` (default `sadp_t`), empty or as a copy of `template` (which must have no
 * connections), with `synchronous_commit` off; `drop()` ends its connections and removes it. Its `sql` reads int8 as BigInt unless
 * `bigintAsText` (postgres.js's default: a string).
 */
export async function createDatabase(options: { template?: string; prefix?: string; bigintAsText?: boolean } = {}): Promise<TestDatabase> {
  const name = `${options.prefix ?? 'sadp_t'}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}${options.template ? ` template ${options.template}` : ''}`);
    // a test database is thrown away: its commits need not wait for the disk (a server crash, which no
    // test causes, could lose the last ones; the suite runs several times faster where fsync is slow)
    await admin.unsafe(`alter database ${name} set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {},
    ...(options.bigintAsText ? {} : { types: { bigint: postgres.BigInt } as never }) });
  return {
    name,
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        // with (force) ends the sessions and waits for them to be gone, however slow they are to exit
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * A suite's own database, created before its tests (handed to `onCreated`) and dropped after them, and
 * the folders its tests make (push them on the returned list), removed after them. Call inside `describe`.
 */
export function suiteDatabase(onCreated: (db: TestDatabase) => void): string[] {
  let db: TestDatabase | undefined;
  const dirs: string[] = [];
  before(async () => {
    db = await createDatabase();
    onCreated(db);
  });
  after(async () => {
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return dirs;
}

/** Writes `files` (paths relative to `dir`) into `dir`, making folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A temporary project folder holding `files` (mode 700, as `mkdtemp` makes it). */
export function makeProject(files: Record<string, string>, prefix = 'sadp-project-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFiles(dir, files);
  return dir;
}

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
