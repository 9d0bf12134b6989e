import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import type { Sql } from './connection.js';
import { defaultGenerateOptions, generateData } from './generate.js';
import { ingest } from './ingest.js';
import { collectingLogger, type Logger } from './log.js';
import type { SourceTable } from './sources.js';

export interface BenchIngestOptions {
  /** A database the benchmark may use freely (it creates and drops schemas `raw_bench*`). */
  url: string;
  rows: number;
  workDir: string;
  logger: Logger;
  /** Timed runs of each side, alternating. Default 3. */
  runs?: number;
}

const columns = ['sale_id', 'customer_id', 'product_id', 'store_id', 'sale_timestamp', 'quantity', 'revenue'];

/** A connection with TCP_NODELAY, as libpq (and so psql) uses: without it every COPY waits ~40 ms per end. */
export function benchConnection(url: string, max = 1): Sql {
  const u = new URL(url);
  const tcp = u.hostname !== '' && !u.searchParams.has('host');
  return postgres(url, {
    max,
    onnotice: () => {},
    ...(tcp ? { socket: () => net.connect({ host: u.hostname, port: Number(u.port || 5432), noDelay: true }) } : {}),
  }) as unknown as Sql;
}

function psql(url: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr}`))));
  });
}

/**
 * DESIGN §9: ingest of N sales rows by the runner against `psql \copy` of the same file into an equivalent
 * table on the same server, alternating, each timed as a whole (the runner's `ingest()` call; the psql
 * process from spawn to exit). Rows per second of each run.
 */
export async function benchIngest(opts: BenchIngestOptions): Promise<{ runnerRowsPerSec: number[]; psqlRowsPerSec: number[] }> {
  const runs = opts.runs ?? 3;
  const genDir = path.join(opts.workDir, 'generated');
  const landing = path.join(opts.workDir, 'landing');
  fs.mkdirSync(landing, { recursive: true });
  await generateData({ ...defaultGenerateOptions(), customers: 1000, sales: opts.rows, outDir: genDir, logger: collectingLogger() });
  const file = path.join(landing, 'sales.csv');
  fs.renameSync(path.join(genDir, 'sales.csv'), file);
  fs.rmSync(genDir, { recursive: true, force: true });
  const table: SourceTable = { source: 'raw', name: 'sales', schema: 'raw_bench_runner', columns, required: columns };
  const sql = benchConnection(opts.url);
  const runnerRowsPerSec: number[] = [];
  const psqlRowsPerSec: number[] = [];
  const cleanRunner = () => sql.unsafe(`drop schema if exists raw_bench_runner cascade;
    do $$ begin if to_regclass('meta.ingested_files') is not null then
      delete from meta.ingested_files where file_name = 'sales.csv' and source = 'sales'; end if; end $$`);
  try {
    for (let i = 0; i < runs; i++) {
      await cleanRunner();
      await sql.unsafe('checkpoint');
      let t = performance.now();
      const summary = await ingest({ sql, dataDir: landing, tables: [table], runId: 0, logger: collectingLogger() });
      const runner = performance.now() - t;
      if (summary.rows !== opts.rows) throw new Error(`the runner loaded ${summary.rows} rows, expected ${opts.rows}`);
      runnerRowsPerSec.push(Math.round(opts.rows / runner * 1000));

      await sql.unsafe(`drop schema if exists raw_bench cascade; create schema raw_bench;
        create table raw_bench.sales (${columns.map((c) => `${c} text`).join(', ')}, _file text not null default 'sales.csv',
          _line bigint not null default 0, _batch_id bigint not null default 0, _loaded_at timestamptz not null default now());
        checkpoint`);
      t = performance.now();
      await psql(opts.url, `\\copy raw_bench.sales(${columns.join(', ')}) from '${file.replace(/'/g, "''")}' with (format csv, header true)`);
      psqlRowsPerSec.push(Math.round(opts.rows / (performance.now() - t) * 1000));
      opts.logger.event({ event: 'bench', message: `ingest run ${i + 1}: runner ${runnerRowsPerSec[i]} rows/s, psql ${psqlRowsPerSec[i]} rows/s` });
    }
  } finally {
    await cleanRunner().catch(() => {});
    await sql.unsafe('drop schema if exists raw_bench cascade').catch(() => {});
    await sql.end();
    fs.rmSync(landing, { recursive: true, force: true });
  }
  return { runnerRowsPerSec, psqlRowsPerSec };
}
