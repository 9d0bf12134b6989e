import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { statement } from '../sql/statements.js';
import { runnerRoot } from '../sql/templates.js';

/** One figure of `npm run bench`: samples of a measurement and how it compares with its goal. */
export interface Figure {
  name: string;
  unit: string;
  samples: number[];
  min: number;
  median: number;
  max: number;
  goal?: string;
  met?: boolean;
  peak_rss_mb?: number;
  note?: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export function figure(name: string, unit: string, samples: number[], extra: Partial<Figure> = {}): Figure {
  return { name, unit, samples, min: Math.min(...samples), median: median(samples), max: Math.max(...samples), ...extra };
}

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the process in MB, where /usr/bin/time can tell. */
  rssMb?: number;
}

const cli = join(runnerRoot, '..', 'dist', 'runner', 'src', 'cli.js');
const haveTime = existsSync('/usr/bin/time');

/** Runs a command and times the whole of it, start-up included. */
export function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Timed> {
  const [file, argv] = haveTime ? ['/usr/bin/time', ['-f', '%M', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let rssMb: number | undefined;
      if (haveTime) {
        const lines = stderr.trimEnd().split('\n');
        const kb = Number(lines.pop());
        if (Number.isFinite(kb)) rssMb = Math.round(kb / 1024);
        stderr = lines.join('\n');
      }
      resolve({ ms, code, stdout, stderr, rssMb });
    });
  });
}

export const runner = (args: string[], url: string) => timed(process.execPath, [cli, ...args], { DATABASE_URL: url });

export async function must(p: Promise<Timed>, what: string): Promise<Timed> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return r;
}

export function machine(serverVersion: string) {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    postgres: serverVersion,
  };
}

/** One statement on a connection of its own to `url` (the bench's bookkeeping beside what it measures). */
export async function query(url: string, text: string, params: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql.unsafe(text, params);
  } finally {
    await sql.end();
  }
}

export async function serverVersion(url: string): Promise<string> {
  return String((await query(url, statement('bench/server-version')))[0].version);
}

export const tmp = (prefix: string) => mkdtempSync(join(os.tmpdir(), prefix));

/** Makes a new database of that name (a copy of `template` when given) and returns its URL. */
export type Fresh = (name: string, template?: string) => Promise<string>;

export type Log = (message: string) => void;

/** `psql` as a user runs it against the database: no psqlrc, quiet, stopping at the first error. */
export const psql = (url: string, args: string[]) => timed('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args]);

/** Each model's (and ingest's) seconds in the run that just wrote `projectDir/target/run_results.json`. */
export function nodeSeconds(projectDir: string): Map<string, number> {
  const ran = JSON.parse(readFileSync(join(projectDir, 'target', 'run_results.json'), 'utf8')) as
    { results: { node: string; kind: string; ms: number }[] };
  const seconds = new Map<string, number>();
  for (const r of ran.results) {
    const key = r.kind === 'model' || r.kind === 'ingest' ? r.node : r.kind === 'test' ? 'data tests (sum)' : 'unit tests (sum)';
    seconds.set(key, (seconds.get(key) ?? 0) + r.ms / 1000);
  }
  return seconds;
}

/** "fact_sales 7.41 s, stg_sales 5.02 s, …": where the time of a run went, largest first. */
export const whereTimeGoes = (seconds: Map<string, number>, top = 20) =>
  [...seconds].sort((a, b) => b[1] - a[1]).slice(0, top).map(([n, s]) => `${n} ${s.toFixed(2)} s`).join(', ');

/** Samples in seconds from milliseconds. */
export const seconds = (ms: number[]) => ms.map((x) => Number((x / 1000).toFixed(3)));

/** dim_customer and fact_sales as order-free hashes of their rows (see bench/fingerprint.sql). */
export async function fingerprint(url: string): Promise<string> {
  return JSON.stringify((await query(url, statement('bench/fingerprint')))[0]);
}
