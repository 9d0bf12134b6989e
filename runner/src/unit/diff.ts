/** Rows as PostgreSQL prints them (`::text`), NULL as null, in the order of `columns`. */
export type TextRow = (string | null)[];

export interface RowDiff {
  columns: string[];
  /** Expected rows no actual row equals. */
  missing: TextRow[];
  /** Actual rows no expected row equals. */
  extra: TextRow[];
  /** A missing and an extra row with the same key: one row whose other values differ. */
  changed: { expected: TextRow; actual: TextRow }[];
  expectedCount: number;
  actualCount: number;
}

const same = (a: TextRow, b: TextRow) => a.every((v, i) => v === b[i]);

/**
 * Expected against actual rows as multisets (order ignored, duplicates counted). A missing and an extra
 * row that agree on the key columns (`key`: indexes into `columns`) are shown as one changed row; without
 * a key nothing pairs. Undefined when the rows are equal.
 */
export function diffRows(columns: string[], expected: TextRow[], actual: TextRow[], key: number[]): RowDiff | undefined {
  const extra = [...actual];
  const missing: TextRow[] = [];
  for (const row of expected) {
    const i = extra.findIndex((a) => same(a, row));
    if (i >= 0) extra.splice(i, 1);
    else missing.push(row);
  }
  if (!missing.length && !extra.length) return undefined;
  const changed: RowDiff['changed'] = [];
  if (key.length) {
    for (let m = 0; m < missing.length; m++) {
      const candidates = extra.map((row, i) => ({ row, i, score: row.filter((v, c) => v === missing[m][c]).length }))
        .filter(({ row }) => key.every((c) => row[c] === missing[m][c]))
        .sort((a, b) => b.score - a.score);
      if (!candidates.length) continue;
      changed.push({ expected: missing[m], actual: candidates[0].row });
      extra.splice(candidates[0].i, 1);
      missing.splice(m--, 1);
    }
  }
  return { columns, missing, extra, changed, expectedCount: expected.length, actualCount: actual.length };
}

// values as typed, quoted only where the text could be misread (empty, padded, or holding the separators)
const show = (v: string | null) => (v === null ? 'NULL' : v === '' || v !== v.trim() || /, |=|"/.test(v) || v === 'NULL' ? JSON.stringify(v) : v);
const pairs = (columns: string[], row: TextRow, only?: number[]) =>
  columns.map((c, i) => (only && !only.includes(i) ? undefined : `${c}=${show(row[i])}`)).filter(Boolean).join(', ');

/** The diff as people read it: counts, then each changed (column by column), missing and extra row. */
export function formatDiff(d: RowDiff, key: number[]): string {
  const counts = [`${d.changed.length} changed`, `${d.missing.length} missing`, `${d.extra.length} extra`]
    .filter((s) => !s.startsWith('0 ')).join(', ');
  const lines = [`expected ${d.expectedCount} row(s), got ${d.actualCount}: ${counts}`];
  for (const { expected, actual } of d.changed) {
    lines.push(`  changed  ${pairs(d.columns, expected, key)}`);
    d.columns.forEach((c, i) => {
      if (expected[i] !== actual[i]) lines.push(`             ${c}: expected ${show(expected[i])}, got ${show(actual[i])}`);
    });
  }
  for (const row of d.missing) lines.push(`  missing  ${pairs(d.columns, row)}`);
  for (const row of d.extra) lines.push(`  extra    ${pairs(d.columns, row)}`);
  return lines.join('\n');
}
