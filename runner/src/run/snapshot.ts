import type { Node } from '../compile/compile.js';
import { projectError, didYouMean } from '../errors.js';
import { ident, literal, qualified } from '../sql/quote.js';

const list = (v: unknown): string[] | undefined =>
  v === undefined || v === null || v === '' || v === 'all' ? undefined
    : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim()).filter(Boolean);

/** The column of a snapshot's table that identifies a version: `surrogate_key`, default `<key without _id>_key`. */
export const surrogateKeyOf = (node: Node): string =>
  String(node.config.surrogate_key ?? `${String(node.config.unique_key ?? '').replace(/_id$/, '')}_key`);

/**
 * What the snapshot template needs beyond the common context: the tracked columns (default: every
 * column of the model but the key, the event time and `_`-prefixed lineage), the validity columns, and
 * whether the model carries a batch column that lets a run look only at keys with new events.
 */
export function snapshotContext(node: Node, modelColumns: string[],
  run: { runId: number; runTime: string; fullRefresh: boolean; exists: boolean }) {
  const { runId, runTime, fullRefresh, exists } = run;
  const c = node.config;
  const uniqueKey = String(c.unique_key ?? '');
  if (!uniqueKey || uniqueKey.includes(',')) {
    throw projectError(`snapshot "${node.name}" (${node.path}) needs unique_key="<one column>" in its config`);
  }
  const updatedAt = c.updated_at ? String(c.updated_at) : undefined;
  for (const col of [uniqueKey, ...(updatedAt ? [updatedAt] : [])]) {
    if (!modelColumns.includes(col)) {
      throw projectError(`snapshot "${node.name}" (${node.path}): its SELECT has no column "${col}"${didYouMean(col, modelColumns)}`);
    }
  }
  const declared = list(c.check_cols);
  for (const col of declared ?? []) {
    if (!modelColumns.includes(col)) throw projectError(`snapshot "${node.name}": check_cols names "${col}", which its SELECT lacks${didYouMean(col, modelColumns)}`);
  }
  const payload = modelColumns.filter((col) => col !== uniqueKey && col !== updatedAt && !col.startsWith('_'));
  const checkCols = declared ?? payload;
  // columns not tracked are carried along: a version keeps the values of the event that opened it
  const carried = payload.filter((col) => !checkCols.includes(col));
  if (!checkCols.length) throw projectError(`snapshot "${node.name}" tracks no columns; list them in check_cols`);
  const batchColumn = String(c.batch_column ?? '_batch_id');
  const hardDeletes = String(c.hard_deletes ?? 'ignore');
  if (!['ignore', 'invalidate', 'new_record'].includes(hardDeletes)) {
    throw projectError(`snapshot "${node.name}": hard_deletes must be ignore, invalidate or new_record, not "${hardDeletes}"`);
  }
  const surrogate = surrogateKeyOf(node);
  const tmp = (s: string) => `${node.name.slice(0, 30)}__${s}_${runId}`;
  if (node.distribution?.kind === 'hash' && node.distribution.column !== uniqueKey) {
    throw projectError(`snapshot "${node.name}" (${node.path}) is distributed_by="${node.distribution.column}"; ` +
      `a snapshot recomputes each key's history on the key's shard: distribute it by its unique_key "${uniqueKey}"`);
  }
  return {
    unique_key: ident(uniqueKey),
    updated_at: updatedAt ? ident(updatedAt) : undefined,
    check_cols: checkCols.map(ident),
    stored_cols: [...checkCols, ...carried].map(ident),
    stored_names: [...checkCols, ...carried],
    // `added`: a column this run adds to the table (see schema-change.ts)
    stored: [...checkCols, ...carried].map((col) => ({ quoted: ident(col), added: false })),
    // the columns the snapshot keeps itself, not the model's: never a schema change
    own_names: [uniqueKey, surrogate, String(c.valid_from ?? 'effective_start_date'), String(c.valid_to ?? 'effective_end_date'),
      String(c.current_flag ?? 'is_current')],
    surrogate_key: ident(surrogate),
    // the primary key of a distributed snapshot: it must hold the distribution column
    key_and_surrogate: `${ident(uniqueKey)}, ${ident(surrogate)}`,
    valid_from: ident(String(c.valid_from ?? 'effective_start_date')),
    valid_to: ident(String(c.valid_to ?? 'effective_end_date')),
    current_flag: ident(String(c.current_flag ?? 'is_current')),
    unknown_member: c.unknown_member === true || c.unknown_member === 'true',
    incremental_keys: exists && !fullRefresh && Boolean(updatedAt) && modelColumns.includes(batchColumn),
    batch_column: ident(batchColumn),
    hard_deletes_invalidate: hardDeletes !== 'ignore',
    hard_deletes_new_record: hardDeletes === 'new_record',
    run_time: `${literal(runTime)}::timestamp`,
    events: tmp('events'),
    affected: tmp('affected'),
    versions: tmp('versions'),
    changed: tmp('changed'),
    since: tmp('since'),
    // on Citus the steps' work tables are tables beside the snapshot's shards, not temporary ones
    events_table: qualified(node.config.schema, tmp('events')),
    affected_table: qualified(node.config.schema, tmp('affected')),
    versions_table: qualified(node.config.schema, tmp('versions')),
    changed_table: qualified(node.config.schema, tmp('changed')),
    present_table: qualified(node.config.schema, tmp('present')),
    step_tables: ['events', 'affected', 'versions', 'changed'].map((t) => qualified(node.config.schema, tmp(t))).join(', '),
  };
}
