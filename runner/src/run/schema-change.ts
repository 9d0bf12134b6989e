import type { Node } from '../compile/compile.js';
import { onSchemaChangeOf, type OnSchemaChange } from '../compile/on-schema-change.js';
import type { Relation } from '../db/catalog.js';
import { UserError } from '../errors.js';
import { ident } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { snapshotContext } from './snapshot.js';

export interface Column { name: string; type: string }

/** How a model's SELECT differs from the table it merges into, column by column. */
export interface SchemaDiff {
  added: Column[];
  removed: Column[];
  retyped: { name: string; from: string; to: string }[];
}

type Conn = { unsafe(query: string): Promise<unknown> };

/** The columns of `sql` with their types: a temporary view is parsed, never planned nor run. */
export async function queryColumns(conn: Conn, sql: string, name: string): Promise<Column[]> {
  const results = await conn.unsafe(statement('run/query-columns', { sql: sql.replace(/;\s*$/, ''), name })) as unknown[];
  const rows = results.find((r) => Array.isArray(r) && r.length) as Column[] | undefined;
  return (rows ?? []).map((r) => ({ name: r.name, type: r.type }));
}

/** The table's columns (but `own`, the ones the materialization keeps itself) against the SELECT's. */
export function compareColumns(table: Relation, query: Column[], own: string[] = []): SchemaDiff {
  const stored = table.columns.map((name, i) => ({ name, type: table.types?.[i] ?? '' })).filter((c) => !own.includes(c.name));
  const byName = new Map(stored.map((c) => [c.name, c.type]));
  const wanted = new Set(query.map((c) => c.name));
  return {
    added: query.filter((c) => !byName.has(c.name)),
    removed: stored.filter((c) => !wanted.has(c.name)),
    retyped: query.filter((c) => byName.has(c.name) && !sameType(byName.get(c.name)!, c.type))
      .map((c) => ({ name: c.name, from: byName.get(c.name)!, to: c.type })),
  };
}

const modifier = /\(\d+(,\d+)?\)/;

/**
 * Whether a value of type `b` goes into a column of type `a` as it is: the same type, or the same base
 * type where either side has no modifier (`numeric` and `numeric(12,2)`): one branch of a model may
 * type a value with a modifier and another without, and an insert casts it into the column's anyway.
 */
export function sameType(a: string, b: string): boolean {
  if (a === b) return true;
  const base = (t: string) => t.replace(new RegExp(modifier, 'g'), '');
  return base(a) === base(b) && (!modifier.test(a) || !modifier.test(b));
}

export const changed = (d: SchemaDiff) => d.added.length + d.removed.length + d.retyped.length > 0;

/**
 * What the merge does about a changed shape, as template context: the columns to add, drop and retype
 * (`schema_change`, see schema_change.sql) and `columns`, those the merge writes. `fail` (the default)
 * throws before anything is written.
 */
export function schemaChangePlan(node: Node, relation: Relation, diff: SchemaDiff, mode: OnSchemaChange = modeOf(node)) {
  if (!changed(diff)) return {};
  if (mode === 'fail') throw schemaChangeError(node, relation, diff);
  const append = mode === 'append_new_columns' || mode === 'sync_all_columns';
  const sync = mode === 'sync_all_columns';
  const removed = new Set(diff.removed.map((c) => c.name));
  const kept = relation.columns.filter((c) => !removed.has(c));
  const add = append ? diff.added : [];
  const actions = [...add.map((c) => ({ action: 'add', name: c.name, type: c.type })),
    ...(sync ? diff.removed.map((c) => ({ action: 'drop', name: c.name })) : []),
    ...(sync ? diff.retyped.map((c) => ({ action: 'retype', name: c.name, type: c.to })) : [])];
  // what the model gives that its table doesn't take is said, every run that it happens: no silent drop
  const left = [...append ? [] : diff.added.map((c) => `"${c.name}" not added`),
    ...sync ? [] : diff.retyped.map((c) => `"${c.name}" kept as ${c.from} (the model gives ${c.to})`)];
  return {
    warning: left.length ? `${node.name}: on_schema_change="${mode}": ${left.join('; ')}` : undefined,
    schema_change: actions.length ? actions : undefined,
    columns: [...kept, ...add.map((c) => c.name)].map(ident),
    added_columns: add.map((c) => c.name),
  };
}

export const modeOf = (node: Node) => onSchemaChangeOf(node.config.on_schema_change, () => node.path);

function schemaChangeError(node: Node, relation: Relation, diff: SchemaDiff): UserError {
  const lines = [
    ...diff.added.map((c) => `    added:   "${c.name}" ${c.type}`),
    ...diff.removed.map((c) => `    removed: "${c.name}" ${c.type}`),
    ...diff.retyped.map((c) => `    retyped: "${c.name}" ${c.from} -> ${c.to}`),
  ];
  const what = node.config.materialized === 'snapshot' ? 'snapshot' : 'incremental model';
  return new UserError('node_failed', `${what} "${node.name}" (${node.path}): its SELECT no longer matches its table ` +
    `${relation.schema}.${relation.name}; nothing was written:\n${lines.join('\n')}\n` +
    `  to fix: set on_schema_change="append_new_columns" (add the new columns) or "sync_all_columns" ` +
    `(also drop the removed and retype the changed ones) in its config, ` +
    `or rebuild it: npm run build-models -- --full-refresh --select ${node.name}`);
}

/**
 * A failed retype (sync_all_columns: ALTER COLUMN … TYPE … USING a cast) as a message that names the
 * column and the types; undefined when `statement` was not one.
 */
export function retypeFailure(node: Node, error: Error, statement: string | undefined, diff: SchemaDiff | undefined): UserError | undefined {
  const columns = diff?.retyped.filter((c) => statement?.includes(`alter column ${ident(c.name)} type`)) ?? [];
  if (!columns.length) return undefined;
  const what = columns.map((c) => `"${c.name}" from ${c.from} to ${c.to}`).join(', ');
  return new UserError('node_failed', `model "${node.name}" (${node.path}): on_schema_change="sync_all_columns" cannot change ` +
    `column${columns.length > 1 ? 's' : ''} ${what}: ${error.message}; nothing was written. ` +
    `Cast the column in the model so that its values fit, or rebuild it: npm run build-models -- --full-refresh --select ${node.name}`);
}

/**
 * The template context of an incremental model or a snapshot about its shape: for a snapshot its
 * context (snapshot.ts), for both what the merge does about columns that changed since its table was
 * built. One catalog look-up of the SELECT (a temporary view), none for other materializations nor
 * for a table about to be built whole.
 */
export async function shapeContext(conn: Conn, node: Node, sql: string, existing: Relation | undefined,
  run: { runId: number; runTime: string; fullRefresh: boolean }): Promise<{ context: Record<string, unknown>; diff?: SchemaDiff; warning?: string }> {
  const snapshot = node.config.materialized === 'snapshot';
  const table = existing?.kind === 'table' && existing.types ? existing : undefined;
  if (!snapshot && (node.config.materialized !== 'incremental' || !table || run.fullRefresh)) return { context: {} };
  const alias = (node.config.alias as string | undefined) ?? node.name;
  const columns = await queryColumns(conn, sql, `${alias.slice(0, 36)}__sadp_cols_${run.runId}`);
  if (!snapshot) {
    const diff = compareColumns(table!, columns.filter((c) => c.name !== node.config.reject_column));
    const { warning, ...context } = schemaChangePlan(node, table!, diff);
    return { context, diff, warning };
  }
  const names = columns.map((c) => c.name);
  const snap = snapshotContext(node, names, { ...run, exists: Boolean(existing) });
  if (!table) return { context: snap };
  const diff = compareColumns(table, columns.filter((c) => snap.stored_names.includes(c.name)), snap.own_names);
  // a full refresh of a snapshot keeps its table (and its history): it takes the new shape as sync does
  const mode = run.fullRefresh ? 'sync_all_columns' : modeOf(node);
  const plan = schemaChangePlan(node, table, diff, mode);
  const ignored = new Set(mode === 'ignore' ? diff.added.map((c) => c.name) : []);
  const kept = ignored.size ? snapshotContext(node, names.filter((n) => !ignored.has(n)), { ...run, exists: true }) : snap;
  const added = new Set(plan.added_columns ?? []);
  return { context: { ...kept, ...plan.schema_change ? { schema_change: plan.schema_change } : {},
    stored: kept.stored_names.map((n) => ({ quoted: ident(n), added: added.has(n) })) }, diff, warning: plan.warning };
}
