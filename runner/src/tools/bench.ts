import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { generateData, defaultGenerateOptions } from './generate.js';
import type { Logger } from '../log.js';
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

/** A project with `n` trivial view models: chains of ten, each model reading the one before it. */
export function viewProject(dir: string, n: number) {
  mkdirSync(join(dir, 'models'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const body = i % 10 === 0 ? `select ${i} as id, 'm_${i}'::text as name` : `select id + 1 as id, name from {{ref "m_${i - 1}"}}`;
    writeFileSync(join(dir, 'models', `m_${i}.sql`), `{{config materialized="view" schema="bench_views"}}\n${body}\n`);
  }
}

/** The SQL psql runs for the same views: what the runner compiled, one statement per view. */
export function viewScript(projectDir: string, n: number): string {
  const parts = ['create schema if not exists bench_views;'];
  for (let i = 0; i < n; i++) {
    const sql = readFileSync(join(projectDir, 'target', 'compiled', 'models', `m_${i}.sql`), 'utf8').trim();
    parts.push(`create or replace view "bench_views"."m_${i}" as\n${sql};`);
  }
  return parts.join('\n');
}

export async function serverVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ v }] = await sql`select current_setting('server_version') as v`;
    return v;
  } finally {
    await sql.end();
  }
}

/** Writes the sales source of the generator, `rows` rows, into `dir/sales.csv`. */
export async function salesFile(dir: string, rows: number, logger: Logger): Promise<string> {
  await generateData({ ...defaultGenerateOptions(), outDir: dir, sales: rows, customers: 1000, logger });
  for (const f of ['customers.csv', 'customers_updates.csv', 'products.csv', 'stores.csv']) rmSync(join(dir, f), { force: true });
  return join(dir, 'sales.csv');
}

export const tmp = (prefix: string) => mkdtempSync(join(os.tmpdir(), prefix));

/** New sales (1% more, new ids) and one batch of late customer updates, derived from the base files. */
export async function increment(base: string, into: string, sales: number, customers: number) {
  const lines = createInterface({ input: createReadStream(join(base, 'sales.csv')) });
  const out = createWriteStream(join(into, 'sales_zz_increment.csv'));
  let n = -1;
  const extra = Math.round(sales / 100);
  for await (const line of lines) {
    if (n === -1) out.write(line + '\n');
    else if (n < extra) {
      const comma = line.indexOf(',');
      out.write(`${Number(line.slice(0, comma)) + sales + 1000}${line.slice(comma)}\n`);
    } else break;
    n++;
  }
  out.end();
  await new Promise<void>((r) => out.on('finish', () => r()));
  const tiers = ['Bronze', 'Silver', 'Gold', 'Platinum'];
  const rows = ['customer_id,full_name,email,loyalty_tier,updated_at'];
  const changed = Math.max(1, Math.round(customers / 100));
  for (let i = 0; i < changed; i++) {
    const id = 1 + ((i * 7919) % customers);
    const month = 1 + (i % 12);
    rows.push(`${id},Customer ${id},customer${id}@example.com,${tiers[i % 4]},2024-${String(month).padStart(2, '0')}-15 12:00:00`);
  }
  writeFileSync(join(into, 'customers_updates_zz_late.csv'), rows.join('\n') + '\n');
}
