import fs from 'node:fs';
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import type { Sql } from '../db/connection.js';
import { readHeader, type CsvHeader } from './csv-header.js';
import { copyIn } from './copy-in.js';
import { CopyScanner, type CopyScannerOptions } from './csv-scan.js';
import { inputError, UserError } from '../errors.js';
import { listLandingFiles, type LandingFile } from './landing.js';
import type { Logger } from '../log.js';
import { ensureMeta } from '../db/meta.js';
import { RejectBuffer, rejectedRowsDdl } from './rejects.js';
import { isConnectionLoss } from '../db/session.js';
import { hashRange, sha256File } from '../files/hash.js';
import { ingestLanes, partsPerFile } from './lanes.js';
import type { SourceTable } from '../project/sources.js';
import { ident, literal, qualified } from '../sql/quote.js';

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
  /**
   * A file into a partitioned raw table loads in parts side by side, one part per `partBytes` (default
   * 16 MiB), at most `maxParts` (default: the CPUs, at most 4); each part takes a connection of `sql`,
   * so the pool must have `parallel × maxParts` connections free (two lanes waiting for helpers that
   * wait for a connection would wait forever).
   */
  partBytes?: number;
  maxParts?: number;
  /** The meta schema is known to be up to date (the run made sure of it): no round trip to check again. */
  metaReady?: boolean;
}

/** How a file is split for loading. */
export interface PartOptions {
  partBytes: number;
  maxParts: number;
}

export interface IngestedFile {
  /** Path relative to the landing directory, as stored in `_file`. */
  file: string;
  source: string;
  rows: number;
  rejected: number;
  /** True when nothing was loaded: the file (by name) was ingested before. */
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
  /** Nothing is loaded: a file of this name was ingested before. */
  skip?: 'ingested';
  /** The raw table is partitioned: the file becomes a partition of its own (see `loadFile`). */
  partitioned?: boolean;
  /** A big file's split into `n` parts, begun while the tables are made ready. */
  split?: { n: number; parts: Promise<Part[]> };
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
  const plans = await planFiles(sql, matched, logger, opts.metaReady);
  const parts: PartOptions = {
    partBytes: opts.partBytes ?? 16 << 20,
    maxParts: Math.max(1, opts.maxParts ?? partsPerFile()),
  };
  // the lines before each split point of a big file are counted while the tables are made ready (that
  // is round trips to the server), not after
  for (const p of plans) {
    const n = p.skip ? 1 : partsOf(p, parts);
    if (n > 1) {
      p.split = { n, parts: splitFile(p, n) };
      p.split.parts.catch(() => {});
    }
  }
  if (plans.some((p) => !p.skip)) {
    if (!opts.metaReady) await ensureMeta(sql);
    const loading = [...new Set(plans.filter((p) => !p.skip).map((p) => p.file.table))];
    const partitioned = await ensureTables(sql, loading);
    for (const p of plans) p.partitioned = partitioned.has(p.file.table);
    for (const t of partitioned) await dropStrayParts(sql, t);
    await keepBatchIdsAhead(sql);
  }
  // the files of one source load in order, one transaction each; two sources load side by side (the
  // server parses each COPY on one core)
  const results: IngestedFile[] = new Array(plans.length);
  const queues = new Map<SourceTable, number[]>();
  plans.forEach((p, i) => queues.set(p.file.table, [...(queues.get(p.file.table) ?? []), i]));
  const pending = [...queues.values()];
  const lane = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const i of queue) results[i] = plans[i].skip ? skipped(plans[i], logger) : await loadFile(sql, plans[i], opts.runId, logger, parts);
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(opts.parallel ?? ingestLanes, pending.length) }, lane));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  for (const result of results) {
    summary.files.push(result);
    summary.rows += result.rows;
    summary.rejected += result.rejected;
  }
  // a plain raw table (made by an older migration) gets fresh statistics when it grew by a fifth, so that
  // the staging models' "batches since last time" keep using its _batch_id index; a first load is
  // followed by a full build (no filter), and a small batch on top of known statistics needs no new
  // sample. A partitioned one needs none: "batches since" reads just the new partitions.
  const loaded = new Map<SourceTable, number>();
  plans.forEach((p, i) => {
    if (!p.skip && !p.partitioned && summary.files[i].rows > 0) {
      loaded.set(p.file.table, (loaded.get(p.file.table) ?? 0) + summary.files[i].rows);
    }
  });
  for (const [table, rows] of loaded) {
    const name = qualified(table.schema, table.name);
    const [{ known }] = await sql`select reltuples::float8 as known from pg_class where oid = ${name}::regclass`;
    if (known >= 0 && rows > 0.2 * known) await sql.unsafe(`analyze ${name}`);
  }
  return summary;
}

/** Checks every matched file; throws one input error listing every problem, before anything is written. */
export async function planFiles(sql: Sql, files: LandingFile[], logger: Logger, metaReady = false): Promise<FilePlan[]> {
  const known = await ingestedFiles(sql, metaReady);
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
      // a delivery is identified by its name: a new name loads even when its bytes equal an earlier file's
      plans.push({ file, header, columns: mapColumns(file, header, logger), bytes, mtimeNs });
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

async function ingestedFiles(sql: Sql, metaReady: boolean): Promise<Map<string, { sha256: string; bytes: number; mtimeNs: string | null }>> {
  if (!metaReady) {
    const [{ exists }] = await sql`select to_regclass('meta.ingested_files') is not null as exists`;
    if (!exists) return new Map();
  }
  const rows = await sql`select file_name, sha256, bytes::text as bytes, mtime_ns::text as mtime_ns from meta.ingested_files`;
  return new Map(rows.map((r) => [r.file_name as string,
    { sha256: r.sha256 as string, bytes: Number(r.bytes), mtimeNs: r.mtime_ns as string | null }]));
}

/**
 * Creates each raw table (every declared column as text, then the lineage) and adds columns declared
 * since; returns the tables that are partitioned. A new raw table is partitioned by `_batch_id`: every file becomes a partition of its own (itself
 * partitioned by `_line` when it loads in parts), kept in the schema `<schema>_batches`. List partitions,
 * so that `_batch_id > n` reads exactly the batches after n (range bounds would take in batch n too).
 */
export async function ensureTables(sql: Sql, tables: SourceTable[]): Promise<Set<SourceTable>> {
  // what is there already: DDL on a partitioned table locks every partition, even when it changes nothing
  const names = tables.map((t) => qualified(t.schema, t.name));
  const present = await sql`select to_regclass('staging.rejected_rows') is not null as rejects,
      exists (select from pg_namespace where nspname = b) as batches,
      (select relkind from pg_class where oid = to_regclass(n)) as kind,
      (select coalesce(json_agg(attname::text), '[]') from pg_attribute
        where attrelid = to_regclass(n) and attnum > 0 and not attisdropped) as columns
    from unnest(${names}::text[], ${tables.map(batchSchema)}::text[]) with ordinality as x(n, b, i) order by i`;
  const ddl = present.every((p) => p.rejects) ? [] : [rejectedRowsDdl];
  // a raw table made by an older migration may be a plain table: it keeps loading as one
  const partitioned = new Set<SourceTable>();
  tables.forEach((t, i) => {
    const name = names[i];
    const have = present[i];
    if (have.kind === null) {
      ddl.push(`create schema if not exists ${ident(t.schema)}`);
      ddl.push(`create schema if not exists ${ident(batchSchema(t))}`);
      ddl.push(`create table if not exists ${name} (${t.columns.map((c) => `${ident(c)} text`).join(', ')}` +
        `${t.columns.length ? ', ' : ''}_file text not null, _line bigint not null, _batch_id bigint not null, ` +
        `_loaded_at timestamptz not null default now()) partition by list (_batch_id)`);
      partitioned.add(t);
      return;
    }
    if (have.kind === 'p') partitioned.add(t);
    const columns = new Set(have.columns as string[]);
    if (!have.batches) ddl.push(`create schema if not exists ${ident(batchSchema(t))}`);
    for (const c of t.columns) if (!columns.has(c)) ddl.push(`alter table ${name} add column if not exists ${ident(c)} text`);
  });
  if (ddl.length) await sql.unsafe(ddl.join(';\n'));
  return partitioned;
}

/** Where the partitions of a raw table live: `raw.sales` keeps its files in `raw_batches`. */
export const batchSchema = (t: SourceTable) => `${fitName(t.schema, 8)}_batches`;

/**
 * Partitions that a load created and never attached: it was killed after a part was committed, before
 * the file's transaction attached it. Nothing reads them; the next load of the table drops them.
 */
async function dropStrayParts(sql: Sql, table: SourceTable): Promise<void> {
  const stray = await sql`select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${batchSchema(table)} and c.relkind = 'r' and not c.relispartition
      and c.relname ~ ${`^${escapeRegExp(partPrefix(table))}[0-9]+(_[0-9]+)?$`}`;
  if (stray.length) await sql.unsafe(`drop table if exists ${stray.map((r) => r.name).join(', ')}`);
}

function skipped(plan: FilePlan, logger: Logger): IngestedFile {
  logger.event({ event: 'ingest', file: plan.file.relPath, source: plan.file.table.name, status: 'skipped', rows: 0, rejected: 0 });
  return { file: plan.file.relPath, source: plan.file.table.name, rows: 0, rejected: 0, skipped: true };
}

const csvQuote = (s: string) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);

/** A byte range of a landing file that loads on a connection of its own, and its first physical line. */
interface Part {
  start: number;
  end: number;
  firstLine: number;
  /** Bytes to pass over at its start: the first part's header. */
  skip: number;
}

/** A split point fell inside a record (a quoted field with a line break): the file loads whole. */
class SplitInsideRecord extends Error {}

/**
 * Loads one file in one transaction: its rows, its rejected records and its `meta.ingested_files` row.
 *
 * Into a partitioned raw table the file goes as partitions of its own, named after its batch, whose
 * `_file` and `_batch_id` are column defaults (the COPY stream carries only the fields and `_line`). A
 * big file is split at line breaks into parts that load side by side (the server parses and writes each
 * COPY on one core): the first part on the file's transaction, each other part by a helper transaction
 * into a table of its own, committed but not attached, so nothing of the file is visible until the
 * file's transaction attaches every part and commits. A load that fails drops its helpers' tables; a
 * killed one leaves them unattached, and the next load drops them.
 */
export async function loadFile(sql: Sql, plan: FilePlan, runId: number, logger: Logger,
  options: PartOptions = { partBytes: 16 << 20, maxParts: 1 }): Promise<IngestedFile> {
  const started = performance.now();
  const { file, columns } = plan;
  const table = file.table;
  const kept = columns.filter((c): c is string => c !== null);
  let counts = { rows: 0, rejected: 0 };
  const helperTables: string[] = [];
  try {
    counts = await sql.begin(async (tx: Tx) => {
      const batchId = await nextBatchId(tx);
      const rejects = new RejectBuffer(table.name, file.relPath, batchId);
      try {
        if (!plan.partitioned) return await loadPlain(tx, plan, kept, batchId, rejects, runId);
        return await loadPartitioned(sql, tx, plan, kept, batchId, rejects, runId, options, helperTables);
      } finally {
        rejects.dispose();
      }
    });
  } catch (e) {
    if (helperTables.length) await dropUnattached(sql, helperTables);
    if (e instanceof SplitInsideRecord) {
      logger.info(`landing file "${file.relPath}" has a line break inside a quoted field where it was split; loading it in one part`);
      return loadFile(sql, plan, runId, logger, { ...options, maxParts: 1 });
    }
    // a lost connection is no fault of the file: the run stops (its transaction was rolled back)
    if (!(e instanceof postgres.PostgresError) || isConnectionLoss(e)) throw e;
    // the database failing for reasons of its own (no connection slot, a timeout, a lock, a table that
    // is in the way) is no fault of the file: say so, nothing of it was loaded
    if (!/^2[23]/.test(e.code)) {
      throw new UserError('run_failed', `landing file "${file.relPath}" could not be loaded into ${table.schema}.${table.name}: ` +
        `${e.message} (SQLSTATE ${e.code}); nothing of it was loaded`, { cause: e });
    }
    // keep the fast path fast: only a file that COPY refuses gets the careful csv-parse pass
    logger.warn(`COPY refused landing file "${file.relPath}" (${e.message}); loading it again with the careful parser`);
    const { fallbackLoad } = await import('./fallback.js');
    counts = await sql.begin((tx: Tx) => fallbackLoad(tx, plan, runId, {
      copy: async (format, batchId) => {
        if (!plan.partitioned) return copyStatement(qualified(table.schema, table.name), kept, format, true);
        const part = qualified(batchSchema(table), partName(table, batchId, 0));
        await tx.unsafe(filePartitionDdl(table, part, file.relPath, batchId, false));
        return copyStatement(part, kept, format, true);
      },
      nextBatchId,
      finish,
    }));
  }
  const ms = Math.round(performance.now() - started);
  logger.event({ event: 'ingest', file: file.relPath, source: table.name, status: 'success', ms, ...counts });
  return { file: file.relPath, source: table.name, ...counts, skipped: false };
}

/** A scanner of the file's records (all its header's fields, the declared ones kept), its rejects in `rejects`. */
function scannerFor(plan: FilePlan, kept: string[], rejects: RejectBuffer,
  where: Pick<CopyScannerOptions, 'prefix' | 'suffix' | 'firstLine' | 'skipBytes' | 'onChunk'>): CopyScanner {
  return new CopyScanner({
    fields: plan.header.names.length,
    keep: kept.length === plan.columns.length ? null : plan.columns.map((c) => c !== null),
    reject: (line, reason, record) => rejects.add(line, reason, record),
    ...where,
  });
}

/** A plain raw table: the file streams into it with its lineage on every record. */
async function loadPlain(tx: Tx, plan: FilePlan, kept: string[], batchId: number, rejects: RejectBuffer, runId: number) {
  const { file, header } = plan;
  const hash = createHash('sha256');
  const scanner = scannerFor(plan, kept, rejects, {
    prefix: Buffer.from(`${kept.length ? ',' : ''}${csvQuote(file.relPath)},`),
    suffix: Buffer.from(`,${batchId}\n`),
    firstLine: header.lines + 1,
    skipBytes: header.bytes,
    onChunk: (chunk) => hash.update(chunk),
  });
  await copyIn(tx, copyStatement(qualified(file.table.schema, file.table.name), kept, 'csv', true),
    fs.createReadStream(file.path, { highWaterMark: 1 << 20 }), scanner);
  await finish(tx, plan, batchId, hash.digest('hex'), scanner, rejects, runId);
  return { rows: scanner.rows, rejected: scanner.rejected };
}

async function loadPartitioned(sql: Sql, tx: Tx, plan: FilePlan, kept: string[], batchId: number, rejects: RejectBuffer,
  runId: number, options: PartOptions, helperTables: string[]) {
  const { file, header } = plan;
  const table = file.table;
  const n = partsOf(plan, options);
  const loadedAt = n > 1 ? String((await tx`select now()::text as at`)[0].at) : undefined;
  const whole: Part = { start: 0, end: plan.bytes, firstLine: header.lines + 1, skip: header.bytes };
  // begun by `ingest` already; the helpers' connections open while it ends
  const split = n <= 1 ? Promise.resolve([whole]) : plan.split?.n === n ? plan.split.parts : splitFile(plan, n);
  split.catch(() => {});
  const name = (k: number, count: number) => qualified(batchSchema(table), partName(table, batchId, count > 1 ? k + 1 : 0));
  const fileTable = name(0, 1);
  for (let k = 1; k < n; k++) helperTables.push(name(k, n));
  const hash = createHash('sha256');
  let hashing: Promise<void> | undefined;
  const scanners: CopyScanner[] = [];
  const load = async (conn: Tx, k: number) => {
    const parts = await split;
    if (k >= parts.length) return;
    const part = parts[k];
    const to = k + 1 < parts.length ? parts[k + 1].firstLine : null;
    const scanner = scanners[k] = scannerFor(plan, kept, rejects, {
      prefix: Buffer.from(kept.length ? ',' : ''),
      suffix: Buffer.from('\n'),
      firstLine: part.firstLine,
      skipBytes: part.skip,
      // the first part hashes as it reads; the rest of the file is hashed after (sha256 reads in order)
      onChunk: k === 0 ? (chunk) => hash.update(chunk) : undefined,
    });
    // once the first part's bytes are read (its COPY may still be running), the rest of the file is
    // hashed after them: sha256 reads in order
    if (k === 0 && parts.length > 1) {
      scanner.once('finish', () => {
        hashing = hashRange(file.path, parts[1].start, plan.bytes, hash);
        hashing.catch(() => {});
      });
    }
    const target = name(k, parts.length);
    if (k === 0) {
      // the file's partition and its first part are attached before the COPY (rows are checked against
      // the partition as they arrive); with parts, the file's partition is partitioned by line
      const ddl = [filePartitionDdl(table, fileTable, file.relPath, batchId, parts.length > 1, loadedAt)];
      if (parts.length > 1) {
        ddl.push(partitionDdl(table, target, file.relPath, batchId, undefined, false, loadedAt), attachDdl(fileTable, target, lineBounds(parts, 0)));
      }
      await conn.unsafe(ddl.join(';\n'));
    } else {
      // a helper's part carries a CHECK that lets the final ATTACH skip scanning it
      await conn.unsafe(partitionDdl(table, target, file.relPath, batchId, checkOf(batchId, part.firstLine, to), false, loadedAt));
    }
    await copyIn(conn, copyStatement(target, kept, 'csv', false),
      fs.createReadStream(file.path, { start: part.start, end: part.end - 1, highWaterMark: 1 << 20 }), scanner);
  };
  const settled = await Promise.allSettled([load(tx, 0), ...helperTables.map((_, i) => sql.begin((helper: Tx) => load(helper, i + 1)))]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const parts = await split;
  if (scanners.slice(0, -1).some((s) => !s.cleanEnd)) throw new SplitInsideRecord();
  if (parts.length > 1) {
    await (hashing ?? hashRange(file.path, parts[1].start, plan.bytes, hash));
    await tx.unsafe(parts.slice(1).map((_, i) => attachDdl(fileTable, name(i + 1, parts.length), lineBounds(parts, i + 1))).join(';\n'));
  }
  const total = { rows: scanners.reduce((a, s) => a + s.rows, 0), rejected: scanners.reduce((a, s) => a + s.rejected, 0) };
  await finish(tx, plan, batchId, hash.digest('hex'), total, rejects, runId);
  return total;
}

/**
 * Where the k-th split of n falls, as a share of the file. The first part gets more than its n-th: it
 * starts at once, on the file's own transaction, while each helper first opens a transaction and makes
 * its table, and the rest of the file is hashed on the same thread as the helpers' scanners once the
 * first part is read (measured on 2 cores: with halves, the helper ended ~90 ms after the first part).
 */
export function splitShare(k: number, n: number): number {
  const first = Math.min(0.9, 1.1 / n);
  return first + ((k - 1) * (1 - first)) / (n - 1);
}

/** How many parts a file loads in: one per `partBytes`, at most `maxParts`. */
const partsOf = (plan: FilePlan, options: PartOptions) => Math.min(options.maxParts, Math.floor(plan.bytes / options.partBytes));

/**
 * Splits a file into `n` parts just after the first line break past each `splitShare` of its bytes, and counts
 * the physical lines before each split (a line break inside a quoted field counts too: `_line` is the
 * physical line). Whether a split is a record boundary shows only when the part before it is scanned.
 */
async function splitFile(plan: FilePlan, n: number): Promise<Part[]> {
  const { header, bytes } = plan;
  // synchronous reads of 4 MiB, yielding between them (a read through the thread pool per chunk roughly
  // doubles the time); begun by `ingest` before the tables are ready, for any file big enough to split,
  // also one whose raw table then turns out to be plain (made by an old migration) and loads whole
  const fd = fs.openSync(plan.file.path, 'r');
  try {
    const starts = [header.bytes];
    const probe = Buffer.allocUnsafe(1 << 16);
    for (let k = 1; k < n; k++) {
      const at = Math.max(Math.floor(bytes * splitShare(k, n)), starts[starts.length - 1]);
      const got = fs.readSync(fd, probe, 0, probe.length, at);
      const lf = probe.subarray(0, got).indexOf(10);
      if (lf < 0 || at + lf + 1 >= bytes) break;
      starts.push(at + lf + 1);
    }
    const lines = [header.lines + 1];
    const buf = Buffer.allocUnsafe(4 << 20);
    let count = 0;
    let pos = 0;
    for (let k = 1; k < starts.length; k++) {
      while (pos < starts[k]) {
        const got = fs.readSync(fd, buf, 0, Math.min(buf.length, starts[k] - pos), pos);
        if (got === 0) throw inputError(`landing file "${plan.file.relPath}" shrank while it was being loaded`);
        for (let i = buf.indexOf(10); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) count++;
        pos += got;
        // let the round trips that run meanwhile go on
        await new Promise((r) => setImmediate(r));
      }
      lines.push(count + 1);
    }
    return starts.map((start, k) => ({
      start: k === 0 ? 0 : start,
      end: k + 1 < starts.length ? starts[k + 1] : bytes,
      firstLine: lines[k],
      skip: k === 0 ? header.bytes : 0,
    }));
  } finally {
    fs.closeSync(fd);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `sales_b12` for a file loaded whole, `sales_b12_1`, `sales_b12_2`, … for its parts. */
function partName(table: SourceTable, batchId: number, part: number): string {
  return `${partPrefix(table)}${batchId}${part ? `_${part}` : ''}`;
}

const partPrefix = (table: SourceTable) => `${fitName(table.name, 24)}_b`;

/**
 * `base` as the start of an identifier that leaves `reserve` of PostgreSQL's 63 bytes for a suffix: a
 * longer one is cut on a character boundary and given a hash of the whole, so that names stay distinct
 * and PostgreSQL never truncates them itself.
 */
function fitName(base: string, reserve: number): string {
  const room = 63 - reserve;
  if (Buffer.byteLength(base) <= room) return base;
  const chars = Array.from(base);
  while (Buffer.byteLength(chars.join('')) > room - 9) chars.pop();
  return `${chars.join('')}_${createHash('sha1').update(base).digest('hex').slice(0, 8)}`;
}

/** A table shaped like the raw table, whose `_file` and `_batch_id` default to the file's. */
function partitionDdl(table: SourceTable, name: string, file: string, batchId: number, check?: string, byLine = false,
  loadedAt?: string): string {
  return `create table ${name} (like ${qualified(table.schema, table.name)} including defaults` +
    `${check ? `, check (${check})` : ''})${byLine ? ' partition by range (_line)' : ''};\n` +
    `alter table ${name} alter column _file set default ${literal(file)}, alter column _batch_id set default ${batchId}` +
    // a helper's transaction starts later than the file's: every part takes the file's time
    `${loadedAt ? `, alter column _loaded_at set default ${literal(loadedAt)}::timestamptz` : ''}`;
}

/** The file's partition of the raw table (partitioned by line when it loads in parts), attached. */
function filePartitionDdl(table: SourceTable, name: string, file: string, batchId: number, byLine: boolean, loadedAt?: string): string {
  return `${partitionDdl(table, name, file, batchId, undefined, byLine, loadedAt)};\n` +
    attachDdl(qualified(table.schema, table.name), name, `in (${batchId})`);
}

/** The lines [from, to) of batch `batchId` (`null`: unbounded) as a CHECK … */
function checkOf(batchId: number, from: number | null, to: number | null): string {
  return [`_batch_id = ${batchId}`, ...(from === null ? [] : [`_line >= ${from}`]), ...(to === null ? [] : [`_line < ${to}`])].join(' and ');
}

/** … and part `k`'s bounds in the file's partition. */
function lineBounds(parts: Part[], k: number): string {
  return `from (${k === 0 ? 'minvalue' : parts[k].firstLine}) to (${k + 1 < parts.length ? parts[k + 1].firstLine : 'maxvalue'})`;
}

function attachDdl(parent: string, name: string, bounds: string): string {
  return `alter table ${parent} attach partition ${name} for values ${bounds}`;
}

/** Drops the helper tables of a failed load that are not partitions (a commit that did happen keeps them). */
async function dropUnattached(sql: Sql, names: string[]): Promise<void> {
  const rows = await sql`select c.oid::regclass::text as name from pg_class c
    where c.oid = any(array(select to_regclass(n) from unnest(${names}::text[]) as n)) and not c.relispartition`.catch(() => []);
  if (rows.length) await sql.unsafe(`drop table if exists ${rows.map((r) => r.name).join(', ')}`).catch(() => {});
}

function copyStatement(target: string, kept: string[], format: 'csv' | 'text', lineage: boolean): string {
  const columns = [...kept, ...(lineage ? ['_file', '_line', '_batch_id'] : ['_line'])].map(ident).join(', ');
  // CSV format reads an unquoted empty field as NULL; raw keeps data as delivered, so '' stays ''
  const options = format === 'csv'
    ? ` with (format csv${kept.length ? `, force_not_null (${kept.map(ident).join(', ')})` : ''})`
    : '';
  return `copy ${target} (${columns}) from stdin${options}`;
}

/**
 * Batch ids only grow: incremental models read `_batch_id > ` the last batch they saw, so a batch id
 * handed out twice would be a file they never read. A sequence restarted behind the ingested files (a
 * restore that left it at 1, `truncate … restart identity` on another table sharing it) moves up past
 * the highest batch on record instead.
 */
async function keepBatchIdsAhead(sql: Sql): Promise<void> {
  await sql`select setval(s.seq, m.top)
    from (select pg_get_serial_sequence('meta.ingested_files', 'batch_id') as seq) as s,
         (select max(batch_id) as top from meta.ingested_files) as m
    where m.top is not null
      and m.top > (select coalesce(q.last_value, 0) from pg_sequences as q
                   where format('%I.%I', q.schemaname, q.sequencename)::regclass = s.seq::regclass)`;
}

async function nextBatchId(tx: Tx): Promise<number> {
  const [{ id }] = await tx`select nextval(pg_get_serial_sequence('meta.ingested_files', 'batch_id'))::text as id`;
  return Number(id);
}

/** After the COPY: write the rejects and the file's record. */
async function finish(tx: Tx, plan: FilePlan, batchId: number, sha256: string,
  counts: { rows: number; rejected: number }, rejects: RejectBuffer, runId: number): Promise<void> {
  await rejects.write(tx as unknown as Sql);
  await tx`insert into meta.ingested_files (batch_id, source, file_name, sha256, bytes, rows, rejected, run_id, mtime_ns)
    values (${batchId}, ${plan.file.table.name}, ${plan.file.relPath}, ${sha256}, ${plan.bytes},
      ${counts.rows}, ${counts.rejected}, ${runId || null}, ${plan.mtimeNs ?? null})`;
}

export type FinishFn = typeof finish;
export type { Tx };
