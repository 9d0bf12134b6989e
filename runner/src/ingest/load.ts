import { createHash } from 'node:crypto';
import fs from 'node:fs';
import postgres from 'postgres';
import type { Sql, Tx } from '../db/connection.js';
import { isConnectionLoss } from '../db/loss.js';
import { UserError } from '../errors.js';
import { hashRange } from '../files/hash.js';
import type { Logger } from '../log.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { copyIn } from './copy-in.js';
import { CopyScanner, type CopyScannerOptions } from './csv-scan.js';
import { attachPartDdl, batchSchema, dropUnattached, filePartitionDdl, partName, partTableDdl, runDdl } from './partitions.js';
import type { FilePlan } from './plan.js';
import { finish } from './record.js';
import { RejectBuffer } from './rejects.js';
import { linesOf, partsOf, splitFile, type Part, type PartOptions } from './split.js';
import { nextBatchId } from './tables.js';

/** What loading one file came to. */
export interface IngestedFile {
  /** Path relative to the landing directory, as stored in `_file`. */
  file: string;
  source: string;
  rows: number;
  rejected: number;
  /** True when nothing was loaded: the file (by name) was ingested before. */
  skipped: boolean;
}

/** One file's load in progress: its transaction, its batch, where its rejects go. */
interface FileLoad {
  sql: Sql;
  tx: Tx;
  plan: FilePlan;
  /** The declared columns the file's fields feed, in file order. */
  kept: string[];
  batchId: number;
  rejects: RejectBuffer;
  runId: number;
  /** Tables of the parts that helper transactions loaded: dropped when the file fails. */
  helperTables: string[];
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
      const load: FileLoad = { sql, tx, plan, kept, batchId, rejects: new RejectBuffer(table.name, file.relPath, batchId), runId, helperTables };
      try {
        return plan.partitioned ? await loadPartitioned(load, options) : await loadPlain(load);
      } finally {
        load.rejects.dispose();
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
        await runDdl(tx, filePartitionDdl(table, part, { file: file.relPath, batchId, placement: plan.placement }), Boolean(plan.placement));
        return copyStatement(part, kept, format, true);
      },
    }));
  }
  const ms = Math.round(performance.now() - started);
  logger.event({ event: 'ingest', file: file.relPath, source: table.name, status: 'success', ms, ...counts });
  return { file: file.relPath, source: table.name, ...counts, skipped: false };
}

/** A file not loaded: ingested before. */
export function skipped(plan: FilePlan, logger: Logger): IngestedFile {
  logger.event({ event: 'ingest', file: plan.file.relPath, source: plan.file.table.name, status: 'skipped', rows: 0, rejected: 0 });
  return { file: plan.file.relPath, source: plan.file.table.name, rows: 0, rejected: 0, skipped: true };
}

/** A scanner of the file's records (all its header's fields, the declared ones kept), its rejects in `rejects`. */
function scannerFor(load: FileLoad, where: Pick<CopyScannerOptions, 'prefix' | 'suffix' | 'firstLine' | 'skipBytes' | 'onChunk'>): CopyScanner {
  const { plan, kept, rejects } = load;
  return new CopyScanner({
    fields: plan.header.names.length,
    keep: kept.length === plan.columns.length ? null : plan.columns.map((c) => c !== null),
    reject: (line, reason, record) => rejects.add(line, reason, record),
    ...where,
  });
}

/** A plain raw table: the file streams into it with its lineage on every record. */
async function loadPlain(load: FileLoad) {
  const { tx, plan, kept, batchId } = load;
  const { file, header } = plan;
  const hash = createHash('sha256');
  const scanner = scannerFor(load, {
    prefix: Buffer.from(`${kept.length ? ',' : ''}${csvQuote(file.relPath)},`),
    suffix: Buffer.from(`,${batchId}\n`),
    firstLine: header.lines + 1,
    skipBytes: header.bytes,
    onChunk: (chunk) => hash.update(chunk),
  });
  await copyIn(tx, copyStatement(qualified(file.table.schema, file.table.name), kept, 'csv', true),
    fs.createReadStream(file.path, { highWaterMark: 1 << 20 }), scanner);
  await finish(tx, plan, { batchId, sha256: hash.digest('hex'), counts: scanner, rejects: load.rejects, runId: load.runId });
  return { rows: scanner.rows, rejected: scanner.rejected };
}

/** A partitioned raw table: the file becomes a partition of its own, a big one loaded in parts side by side. */
async function loadPartitioned(load: FileLoad, options: PartOptions) {
  const { sql, tx, plan, batchId } = load;
  const { file, header } = plan;
  const table = file.table;
  const n = partsOf(plan.bytes, options);
  const loadedAt = n > 1 ? String((await tx.unsafe(statement('ingest/now')))[0].at) : undefined;
  const whole: Part = { start: 0, end: plan.bytes, firstLine: header.lines + 1, skip: header.bytes };
  // begun by `ingest` already; the helpers' connections open while it ends
  const split = n <= 1 ? Promise.resolve([whole]) : plan.split?.n === n ? plan.split.parts : splitFile(file, header, plan.bytes, n);
  split.catch(() => {});
  const name = (k: number, count: number) => qualified(batchSchema(table), partName(table, batchId, count > 1 ? k + 1 : 0));
  const fileTable = name(0, 1);
  for (let k = 1; k < n; k++) load.helperTables.push(name(k, n));
  const hash = createHash('sha256');
  let hashing: Promise<void> | undefined;
  const scanners: CopyScanner[] = [];
  const loadPart = async (conn: Tx, k: number) => {
    const parts = await split;
    if (k >= parts.length) return;
    const part = parts[k];
    const scanner = scanners[k] = scannerFor(load, {
      prefix: Buffer.from(load.kept.length ? ',' : ''),
      suffix: Buffer.from('\n'),
      firstLine: part.firstLine,
      skipBytes: part.skip,
      // the first part hashes as it reads; once its bytes are read (its COPY may still run), the rest of
      // the file is hashed after them: sha256 reads in order
      onChunk: k === 0 ? (chunk) => hash.update(chunk) : undefined,
    });
    if (k === 0 && parts.length > 1) {
      scanner.once('finish', () => {
        hashing = hashRange(file.path, parts[1].start, plan.bytes, hash);
        hashing.catch(() => {});
      });
    }
    const target = name(k, parts.length);
    const of = { file: file.relPath, batchId, loadedAt, placement: plan.placement };
    if (k === 0) {
      // the file's partition and its first part are attached before the COPY (rows are checked against
      // the partition as they arrive)
      const ddl = filePartitionDdl(table, fileTable, { ...of, byLine: parts.length > 1 });
      if (parts.length > 1) ddl.push(partTableDdl(table, target, of), attachPartDdl(fileTable, target, linesOf(parts, 0)));
      await runDdl(conn, ddl, Boolean(plan.placement));
    } else {
      await conn.unsafe(partTableDdl(table, target, { ...of, lines: { from: part.firstLine, to: linesOf(parts, k).to } }));
    }
    await copyIn(conn, copyStatement(target, load.kept, 'csv', false),
      fs.createReadStream(file.path, { start: part.start, end: part.end - 1, highWaterMark: 1 << 20 }), scanner);
  };
  const settled = await Promise.allSettled([loadPart(tx, 0), ...load.helperTables.map((_, i) => sql.begin((helper: Tx) => loadPart(helper, i + 1)))]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const parts = await split;
  if (scanners.slice(0, -1).some((s) => !s.cleanEnd)) throw new SplitInsideRecord();
  if (parts.length > 1) {
    await (hashing ?? hashRange(file.path, parts[1].start, plan.bytes, hash));
    await runDdl(tx, parts.slice(1).map((_, i) => attachPartDdl(fileTable, name(i + 1, parts.length), linesOf(parts, i + 1))), Boolean(plan.placement));
  }
  const counts = { rows: scanners.reduce((a, s) => a + s.rows, 0), rejected: scanners.reduce((a, s) => a + s.rejected, 0) };
  await finish(tx, plan, { batchId, sha256: hash.digest('hex'), counts, rejects: load.rejects, runId: load.runId });
  return counts;
}

function copyStatement(target: string, kept: string[], format: 'csv' | 'text', lineage: boolean): string {
  return statement('ingest/copy', { target, csv: format === 'csv', kept,
    columns: [...kept, ...(lineage ? ['_file', '_line', '_batch_id'] : ['_line'])] });
}

const csvQuote = (s: string) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);
