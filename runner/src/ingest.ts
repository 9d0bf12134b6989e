import fs from 'node:fs';
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import type { Sql } from './connection.js';
import { readHeader, type CsvHeader } from './csv-header.js';
import { copyIn } from './copy-in.js';
import { CopyScanner } from './csv-scan.js';
import { inputError, UserError } from './errors.js';
import { fallbackLoad } from './ingest-fallback.js';
import { listLandingFiles, type LandingFile } from './landing.js';
import type { Logger } from './log.js';
import { ensureMeta } from './meta.js';
import { RejectBuffer, rejectedRowsDdl } from './rejects.js';
import { isConnectionLoss } from './session.js';
import type { SourceTable } from './sources.js';
import { ident, qualified } from './sql-text.js';

export interface IngestOptions {
  sql: Sql;
  /** The landing directory. */
  dataDir: string;
  /** The project's declared sources. */
  tables: SourceTable[];
  runId: number;
  logger: Logger;
  /** How many sources load at once (default 2); each takes a connection of `sql`. */
  parallel?: number;
}

export interface IngestedFile {
  /** Path relative to the landing directory, as stored in `_file`. */
  file: string;
  source: string;
  rows: number;
  rejected: number;
  /** True when nothing was loaded: ingested before, or a copy of a file ingested before. */
  skipped: boolean;
}

export interface IngestSummary {
  files: IngestedFile[];
  rows: number;
  rejected: number;
  /** CSV files that match no source; left alone. */
  unmatched: string[];
}

/** A file checked and ready: which declared column each header field feeds (`null`: not loaded). */
export interface FilePlan {
  file: LandingFile;
  header: CsvHeader;
  columns: (string | null)[];
  bytes: number;
  /** The file's modification time, in nanoseconds since the epoch (as text: it exceeds 2^53). */
  mtimeNs?: string;
  /** Why nothing is loaded, when nothing is. */
  skip?: 'ingested' | { duplicateOf: string };
}

type Tx = postgres.TransactionSql<Record<string, never>>;

/**
 * Loads new landing files into the raw layer (DESIGN §3). Every file is checked before anything is
 * written: a bad header, an empty or unreadable file, or a file changed since it was ingested is an input
 * error (exit 2) that changes nothing. Then each new file is streamed into `COPY` in one transaction with
 * its `meta.ingested_files` row; malformed records go to `staging.rejected_rows`.
 */
export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const { sql, logger, tables } = opts;
  const summary: IngestSummary = { files: [], rows: 0, rejected: 0, unmatched: [] };
  if (tables.length === 0) return summary;
  const { matched, unmatched } = listLandingFiles(opts.dataDir, tables);
  summary.unmatched = unmatched;
  if (matched.length === 0 && unmatched.length === 0) {
    throw inputError(`landing directory "${opts.dataDir}" holds no CSV file; put the source files there ` +
      `(e.g. ${tables[0].name}.csv) or pass --data-dir`);
  }
  if (unmatched.length) {
    logger.warn(`${unmatched.length} landing file(s) match no source and were left alone: ` +
      `${unmatched.map((f) => `"${f}"`).join(', ')} (sources: ${tables.map((t) => t.name).join(', ')})`);
  }
  const plans = await planFiles(sql, matched, logger);
  if (plans.some((p) => !p.skip)) {
    await ensureMeta(sql);
    await ensureTables(sql, [...new Set(plans.filter((p) => !p.skip).map((p) => p.file.table))]);
  }
  // the files of one source load in order, one transaction each; two sources load side by side (the
  // server parses each COPY on one core)
  const results: IngestedFile[] = new Array(plans.length);
  const queues = new Map<SourceTable, number[]>();
  plans.forEach((p, i) => queues.set(p.file.table, [...(queues.get(p.file.table) ?? []), i]));
  const pending = [...queues.values()];
  const lane = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const i of queue) results[i] = plans[i].skip ? skipped(plans[i], logger) : await loadFile(sql, plans[i], opts.runId, logger);
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(opts.parallel ?? 2, pending.length) }, lane));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  for (const result of results) {
    summary.files.push(result);
    summary.rows += result.rows;
    summary.rejected += result.rejected;
  }
  // fresh statistics for a table that grew by a fifth, so that the staging models' "batches since last
  // time" keep using the _batch_id index; a first load is followed by a full build (no filter), and a
  // small batch on top of known statistics needs no new sample
  const loaded = new Map<SourceTable, number>();
  plans.forEach((p, i) => {
    if (!p.skip && summary.files[i].rows > 0) loaded.set(p.file.table, (loaded.get(p.file.table) ?? 0) + summary.files[i].rows);
  });
  for (const [table, rows] of loaded) {
    const name = qualified(table.schema, table.name);
    const [{ known }] = await sql`select reltuples::float8 as known from pg_class where oid = ${name}::regclass`;
    if (known >= 0 && rows > 0.2 * known) await sql.unsafe(`analyze ${name}`);
  }
  return summary;
}

/** Checks every matched file; throws one input error listing every problem, before anything is written. */
export async function planFiles(sql: Sql, files: LandingFile[], logger: Logger): Promise<FilePlan[]> {
  const known = await ingestedFiles(sql);
  const bySha = new Map([...known].map(([name, f]) => [f.sha256, name]));
  const sizes = new Set([...known.values()].map((f) => f.bytes));
  const problems: string[] = [];
  const plans: FilePlan[] = [];
  for (const file of files) {
    try {
      const stat = fs.statSync(file.path, { bigint: true });
      const bytes = Number(stat.size);
      const mtimeNs = stat.mtimeNs.toString();
      const before = known.get(file.relPath);
      if (before) {
        // the same size and modification time as when it was ingested: the same file, as make and
        // rsync assume; otherwise its content decides
        if (before.bytes !== bytes || before.mtimeNs !== mtimeNs) {
          const now = await sha256File(file.path, file.relPath);
          if (now !== before.sha256) {
            throw inputError(`landing file "${file.relPath}" was ingested before with different content ` +
              `(sha256 ${before.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now); landing files are immutable: ` +
              `deliver corrections as a new file`);
          }
          // touched, not changed: remember its new time so the next run needs no hash
          await sql`update meta.ingested_files set mtime_ns = ${mtimeNs} where file_name = ${file.relPath}`;
        }
        plans.push({ file, header: { names: [], bytes: 0, lines: 0 }, columns: [], bytes, mtimeNs, skip: 'ingested' });
        continue;
      }
      const header = readHeader(file.path, file.relPath);
      const columns = mapColumns(file, header, logger);
      // a renamed re-delivery has the size of some ingested file; only then is hashing it up front worth it
      const duplicateOf = sizes.has(bytes) ? bySha.get(await sha256File(file.path, file.relPath)) : undefined;
      plans.push({ file, header, columns, bytes, mtimeNs, skip: duplicateOf ? { duplicateOf } : undefined });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length === 1) throw inputError(`${problems[0]}; nothing was ingested`);
  if (problems.length > 1) {
    throw inputError(`${problems.length} landing files can't be ingested; nothing was ingested:\n  ${problems.join('\n  ')}`);
  }
  return plans;
}

function mapColumns(file: LandingFile, header: CsvHeader, logger: Logger): (string | null)[] {
  const table = file.table;
  const declared = new Map(table.columns.map((c) => [c, c]));
  const folded = new Map(table.columns.map((c) => [c.toLowerCase(), c]));
  const used = new Set<string>();
  const extra: string[] = [];
  const columns = header.names.map((name) => {
    const column = declared.get(name) ?? folded.get(name.toLowerCase());
    if (!column) {
      extra.push(name);
      return null;
    }
    if (used.has(column)) {
      throw inputError(`the header of landing file "${file.relPath}" names column "${column}" twice; rename one of them`);
    }
    used.add(column);
    return column;
  });
  const missing = table.required.filter((c) => !used.has(c));
  if (missing.length) {
    throw inputError(`landing file "${file.relPath}" lacks required column${missing.length > 1 ? 's' : ''} ` +
      `${missing.map((c) => `"${c}"`).join(', ')} of source "${table.name}" (its header has ` +
      `${header.names.map((c) => `"${c}"`).join(', ')}); add the column to the file's header line`);
  }
  if (extra.length) {
    logger.warn(`landing file "${file.relPath}" has column${extra.length > 1 ? 's' : ''} ` +
      `${extra.map((c) => `"${c}"`).join(', ')} that source "${table.name}" doesn't declare; not loaded`);
  }
  return columns;
}

async function ingestedFiles(sql: Sql): Promise<Map<string, { sha256: string; bytes: number; mtimeNs: string | null }>> {
  const [{ exists }] = await sql`select to_regclass('meta.ingested_files') is not null as exists`;
  if (!exists) return new Map();
  const rows = await sql`select file_name, sha256, bytes::text as bytes, mtime_ns::text as mtime_ns from meta.ingested_files`;
  return new Map(rows.map((r) => [r.file_name as string,
    { sha256: r.sha256 as string, bytes: Number(r.bytes), mtimeNs: r.mtime_ns as string | null }]));
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string, display: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (e) {
    throw inputError(`cannot read landing file "${display}": ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return hash.digest('hex');
}

/** Creates each raw table (every declared column as text, then the lineage) and adds columns declared since. */
export async function ensureTables(sql: Sql, tables: SourceTable[]): Promise<void> {
  const ddl = [rejectedRowsDdl];
  for (const t of tables) {
    const name = qualified(t.schema, t.name);
    ddl.push(`create schema if not exists ${ident(t.schema)}`);
    ddl.push(`create table if not exists ${name} (${t.columns.map((c) => `${ident(c)} text`).join(', ')}` +
      `${t.columns.length ? ', ' : ''}_file text not null, _line bigint not null, _batch_id bigint not null, ` +
      `_loaded_at timestamptz not null default now())`);
    for (const c of t.columns) ddl.push(`alter table ${name} add column if not exists ${ident(c)} text`);
  }
  await sql.unsafe(ddl.join(';\n'));
}

function skipped(plan: FilePlan, logger: Logger): IngestedFile {
  if (plan.skip && plan.skip !== 'ingested') {
    logger.warn(`landing file "${plan.file.relPath}" has the same content as "${plan.skip.duplicateOf}", ` +
      `ingested before; not loaded again`);
  }
  logger.event({ event: 'ingest', file: plan.file.relPath, source: plan.file.table.name, status: 'skipped', rows: 0, rejected: 0 });
  return { file: plan.file.relPath, source: plan.file.table.name, rows: 0, rejected: 0, skipped: true };
}

class Duplicate extends Error {
  constructor(readonly of: string) {
    super(`duplicate of ${of}`);
  }
}

const csvQuote = (s: string) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);

/** Loads one file in one transaction: its COPY, its rejected records and its `meta.ingested_files` row. */
export async function loadFile(sql: Sql, plan: FilePlan, runId: number, logger: Logger): Promise<IngestedFile> {
  const started = performance.now();
  const { file, header, columns } = plan;
  const table = file.table;
  const kept = columns.filter((c): c is string => c !== null);
  let counts = { rows: 0, rejected: 0 };
  try {
    counts = await sql.begin(async (tx: Tx) => {
      const batchId = await nextBatchId(tx);
      const rejects = new RejectBuffer(table.name, file.relPath, batchId);
      const hash = createHash('sha256');
      const scanner = new CopyScanner({
        fields: header.names.length,
        keep: kept.length === columns.length ? null : columns.map((c) => c !== null),
        prefix: Buffer.from(`${kept.length ? ',' : ''}${csvQuote(file.relPath)},`),
        suffix: Buffer.from(`,${batchId}\n`),
        firstLine: header.lines + 1,
        skipBytes: header.bytes,
        onChunk: (chunk) => hash.update(chunk),
        reject: (line, reason, record) => rejects.add(line, reason, record),
      });
      try {
        await copyIn(tx, copyStatement(table, kept, 'csv'), fs.createReadStream(file.path, { highWaterMark: 1 << 20 }), scanner);
        await finish(tx, plan, batchId, hash.digest('hex'), scanner, rejects, runId);
      } finally {
        rejects.dispose();
      }
      return { rows: scanner.rows, rejected: scanner.rejected };
    });
  } catch (e) {
    if (e instanceof Duplicate) return skipped({ ...plan, skip: { duplicateOf: e.of } }, logger);
    // a lost connection is no fault of the file: the run stops (its transaction was rolled back)
    if (!(e instanceof postgres.PostgresError) || isConnectionLoss(e)) throw e;
    // keep the fast path fast: only a file that COPY refuses gets the careful csv-parse pass
    logger.warn(`COPY refused landing file "${file.relPath}" (${e.message}); loading it again with the careful parser`);
    counts = await sql.begin((tx: Tx) => fallbackLoad(tx, plan, runId, {
      copy: (format) => copyStatement(table, kept, format),
      nextBatchId,
      finish,
    }));
  }
  const ms = Math.round(performance.now() - started);
  logger.event({ event: 'ingest', file: file.relPath, source: table.name, status: 'success', ms, ...counts });
  return { file: file.relPath, source: table.name, ...counts, skipped: false };
}

function copyStatement(table: SourceTable, kept: string[], format: 'csv' | 'text'): string {
  const columns = [...kept, '_file', '_line', '_batch_id'].map(ident).join(', ');
  // CSV format reads an unquoted empty field as NULL; raw keeps data as delivered, so '' stays ''
  const options = format === 'csv'
    ? ` with (format csv${kept.length ? `, force_not_null (${kept.map(ident).join(', ')})` : ''})`
    : '';
  return `copy ${qualified(table.schema, table.name)} (${columns}) from stdin${options}`;
}

async function nextBatchId(tx: Tx): Promise<number> {
  const [{ id }] = await tx`select nextval(pg_get_serial_sequence('meta.ingested_files', 'batch_id'))::text as id`;
  return Number(id);
}

/** After the COPY: refuse a renamed copy of an ingested file, write the rejects and the file's record. */
async function finish(tx: Tx, plan: FilePlan, batchId: number, sha256: string,
  counts: { rows: number; rejected: number }, rejects: RejectBuffer, runId: number): Promise<void> {
  const [dup] = await tx`select file_name from meta.ingested_files where sha256 = ${sha256} limit 1`;
  if (dup) throw new Duplicate(dup.file_name as string);
  await rejects.write(tx as unknown as Sql);
  await tx`insert into meta.ingested_files (batch_id, source, file_name, sha256, bytes, rows, rejected, run_id, mtime_ns)
    values (${batchId}, ${plan.file.table.name}, ${plan.file.relPath}, ${sha256}, ${plan.bytes},
      ${counts.rows}, ${counts.rejected}, ${runId || null}, ${plan.mtimeNs ?? null})`;
}

export type FinishFn = typeof finish;
export type { Tx };
