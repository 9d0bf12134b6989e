import type { Node } from '../compile/compile.js';
import { didYouMean, projectError } from '../errors.js';
import { ident } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { diffRows, formatDiff, type TextRow } from './diff.js';
import type { UnitSession } from './session.js';
import { columnsOf, type Row } from './rows.js';
import type { UnitTest } from './spec.js';

/**
 * The rows of `relation` against the expected ones, on the columns the expectation names (all of them
 * when it names none: an expected empty result shows every row that came). Values compare as the
 * column's type reads them. Returns the readable diff, or undefined when they agree.
 */
export async function compareRows(s: UnitSession, test: UnitTest, node: Node, what: { relation: string; expect: Row[] }): Promise<string | undefined> {
  const types = new Map((await s.shapes.columns(what.relation)).map((c) => [c.name, c.type]));
  const available = [...types.keys()];
  const named = columnsOf(what.expect);
  for (const column of named) {
    if (!available.includes(column)) {
      throw projectError(`unit test "${test.name}" (${test.file}): expect names column "${column}", which model "${node.name}" ` +
        `does not have${didYouMean(column, available) || `; its columns are ${available.join(', ')}`}`);
    }
  }
  const columns = named.length ? named : available;
  const quoted = columns.map((c) => ({ quoted: ident(c), numeric: /^numeric\b/.test(types.get(c)!) }));
  const rows = what.expect.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
  const [actual, expected] = await Promise.all([
    s.conn.unsafe(statement('unit/actual-rows', { relation: what.relation, columns: quoted })).values(),
    // a value the column's type can't read (the model's types changed, or the test is wrong) differs as written
    s.conn.unsafe(statement('unit/expected-rows', { relation: what.relation, columns: quoted }), [rows as never]).values()
      .catch((e: { code?: string }) => {
        if (!e.code?.startsWith('22')) throw e;
        return rows.map((r) => columns.map((c) => (r[c] === null ? null : String(r[c]))));
      }),
  ]);
  const key = keyColumns(node).map((k) => columns.indexOf(k)).filter((i) => i >= 0);
  const diff = diffRows(columns, expected as unknown as TextRow[], actual as unknown as TextRow[], key.length ? key : [0]);
  return diff && formatDiff(diff, key.length ? key : [0]);
}

/** The columns that name one row of the model: a changed row is shown as one, not as a missing and an extra. */
function keyColumns(node: Node): string[] {
  const key = node.config.unique_key;
  const list = key === undefined ? [] : Array.isArray(key) ? key : [String(key)];
  if (node.config.materialized === 'snapshot') return [...list, String(node.config.valid_from ?? 'effective_start_date')];
  return list;
}
