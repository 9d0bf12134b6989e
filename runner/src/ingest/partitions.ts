import { createHash } from 'node:crypto';
import type { Sql } from '../db/connection.js';
import type { Distribution } from '../compile/distribution.js';
import type { SourceTable } from '../project/sources.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';

/**
 * Each landed file is a partition of its raw table, kept in the schema `<schema>_batches`; a file loaded
 * in parts is itself partitioned by line, one table per part.
 */

/** Where the partitions of a raw table live: `raw.sales` keeps its files in `raw_batches`. */
export const batchSchema = (t: SourceTable) => `${fitName(t.schema, 8)}_batches`;

/** `sales_b12` for a file loaded whole, `sales_b12_1`, `sales_b12_2`, … for its parts. */
export function partName(table: SourceTable, batchId: number, part: number): string {
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

export interface PartTable {
  file: string;
  batchId: number;
  /** A helper's part: a CHECK of its lines [from, to), so that attaching it needs no scan. */
  lines?: { from: number | null; to: number | null };
  /** The file's partition of a file loaded in parts: partitioned by line. */
  byLine?: boolean;
  /** The file's load time: a helper's transaction starts later than the file's. */
  loadedAt?: string;
  /** Citus: the raw table's placement, which every part of it shares (its COPY then goes to the workers). */
  placement?: Distribution;
}

/** A table shaped like the raw table, whose `_file` and `_batch_id` default to the file's. */
export function partTableDdl(table: SourceTable, part: string, o: PartTable): string {
  const placed = o.placement;
  return statement('ingest/part-table', { part, relation: qualified(table.schema, table.name), file: o.file,
    batch_id: o.batchId, check: Boolean(o.lines), from: o.lines?.from, to: o.lines?.to, by_line: o.byLine, loaded_at: o.loadedAt,
    reference: placed?.kind === 'reference', dist_column: placed?.kind === 'hash' ? placed.column : undefined },
  placed ? 'citus' : 'postgres');
}

/** The file's partition of the raw table, made and attached. */
export function filePartitionDdl(table: SourceTable, part: string, o: PartTable): string[] {
  return [partTableDdl(table, part, o), statement('ingest/attach-file', { relation: qualified(table.schema, table.name), part, batch_id: o.batchId })];
}

/**
 * Runs DDL statements in one round trip, or on Citus (`placed`) one by one: Citus sends some DDL of a
 * distributed table (ATTACH, ALTER, CREATE INDEX) on to the workers as the text it came in, which
 * must then hold that statement alone.
 */
export async function runDdl(conn: { unsafe(query: string): Promise<unknown> }, ddl: string[], placed: boolean): Promise<void> {
  if (!placed) {
    await conn.unsafe(ddl.join(';\n'));
    return;
  }
  for (const text of ddl) await conn.unsafe(text);
}

/** A part attached to its file's partition, for its lines [from, to). */
export function attachPartDdl(fileTable: string, part: string, lines: { from: number | null; to: number | null }): string {
  return statement('ingest/attach-part', { file_table: fileTable, part, from: lines.from, to: lines.to });
}

/**
 * Partitions that a load created and never attached: it was killed after a part was committed, before
 * the file's transaction attached it. Nothing reads them; the next load of the table drops them.
 */
export async function dropStrayParts(sql: Sql, table: SourceTable): Promise<void> {
  const pattern = `^${escapeRegExp(partPrefix(table))}[0-9]+(_[0-9]+)?$`;
  const stray = await sql.unsafe(statement('ingest/stray-parts'), [batchSchema(table), pattern]);
  if (stray.length) await sql.unsafe(statement('ingest/drop-tables', { tables: stray.map((r) => r.name) }));
}

/** Drops the helper tables of a failed load that are not partitions (a commit that did happen keeps them). */
export async function dropUnattached(sql: Sql, names: string[]): Promise<void> {
  const rows = await sql.unsafe(statement('ingest/unattached'), [names]).catch(() => []);
  if (rows.length) await sql.unsafe(statement('ingest/drop-tables', { tables: rows.map((r) => r.name) })).catch(() => {});
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
