/** How query results are printed: an aligned table for people, CSV or JSON for programs. */

const numericTypes = new Set([20, 21, 23, 26, 700, 701, 790, 1700]);
const widest = 60;

export interface Column {
  name: string;
  /** The PostgreSQL type oid. */
  type: number;
}

/** An aligned text table in the style of psql: numbers right-aligned, NULL shown as `null`. */
export function formatTable(columns: Column[], rows: (string | null)[][]): string {
  const cell = (v: string | null) => {
    const text = v === null ? 'null' : v.replace(/\r?\n/g, '\\n').replace(/\t/g, ' ');
    return text.length > widest ? text.slice(0, widest - 1) + '…' : text;
  };
  const body = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...body.map((r) => r[i].length)));
  const pad = (text: string, i: number) => numericTypes.has(columns[i].type) ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const line = (cells: string[]) => cells.map(pad).join(' | ').trimEnd() + '\n';
  return line(columns.map((c) => c.name)) + widths.map((w) => '-'.repeat(w)).join('-+-') + '\n' + body.map(line).join('');
}

/** RFC 4180 CSV with a header line; NULL is an empty field, an empty string a quoted one. */
export function formatCsv(columns: Column[], rows: (string | null)[][]): string {
  const field = (v: string | null) => (v === null ? '' : v === '' || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns.map((c) => field(c.name)), ...rows.map((r) => r.map(field))].map((r) => r.join(',') + '\n').join('');
}

/** One JSON object per row, in an array; values as PostgreSQL writes them (exact numerics stay text). */
export function formatJson(columns: Column[], rows: (string | null)[][]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])))) + '\n';
}
