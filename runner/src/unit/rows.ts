import { createRequire } from 'node:module';

/** One fixture row: column name → a value PostgreSQL reads with the column's type (NULL as null). */
export type Row = Record<string, string | number | boolean | null>;

const require = createRequire(import.meta.url);

/**
 * The rows of `given`, `this` or `expect`: a YAML list of maps, or CSV text with a header line. In CSV, as
 * in PostgreSQL's COPY, an empty unquoted field is NULL and `""` the empty string. Throws a plain message
 * (the caller adds the file and the test).
 */
export function parseRows(value: unknown): Row[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return csvRows(value);
  if (!Array.isArray(value)) throw new Error('rows must be a list of maps or CSV text with a header line');
  return value.map((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error(`row ${i + 1} is not a map of column: value`);
    return Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([column, v]) => [column, scalar(v, column, i)]));
  });
}

function scalar(v: unknown, column: string, i: number): Row[string] {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // YAML reads an unquoted 2025-01-01 10:00:00 as a date: give it back as the text it was
  if (v instanceof Date) return yamlTimestamp(v);
  throw new Error(`row ${i + 1}, column "${column}": ${JSON.stringify(v)} is not a single value; quote it to give a text`);
}

function yamlTimestamp(d: Date): string {
  const iso = d.toISOString().replace('T', ' ').replace('Z', '').replace(/\.000$/, '');
  return iso.endsWith(' 00:00:00') ? iso.slice(0, 10) : iso;
}

function csvRows(text: string): Row[] {
  const { parse } = require('csv-parse/sync') as typeof import('csv-parse/sync');
  const records = parse(text.trim(), {
    columns: true,
    cast: (value: string, context: { quoting: boolean }) => (value === '' && !context.quoting ? null : value),
  }) as Row[];
  return records;
}

/** The columns the rows name, in order of first appearance. */
export function columnsOf(rows: Row[]): string[] {
  const out: string[] = [];
  for (const row of rows) for (const c of Object.keys(row)) if (!out.includes(c)) out.push(c);
  return out;
}
