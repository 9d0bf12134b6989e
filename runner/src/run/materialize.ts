import { createHash } from 'node:crypto';
import type { Catalog, Relation } from '../db/catalog.js';
import { nodeKey } from '../db/catalog.js';
import type { Node } from '../compile/compile.js';
import { relationOf } from '../compile/compile.js';
import { ident, literal, qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import { splitStatements, type Target, type TemplateSet } from '../sql/templates.js';
import type { StatementHook, WrittenKeys } from './context.js';

export interface NodeOutcome {
  rows: number | null;
  /** The statements that ran, for target/run/ and error messages. */
  sql: string;
  /** The keys of the rows an incremental or snapshot node's merge wrote; absent for everything else. */
  written?: WrittenKeys;
  /** False when the node was left alone or its merge wrote nothing: what reads it may be left alone too. */
  changed?: boolean;
}

type Conn = {
  unsafe(query: string): Promise<{ count: number; command: string }[] & { count: number }>;
};

export interface NodeRunContext {
  runId: number;
  fullRefresh: boolean;
  /** Which templates `templates` came from (default PostgreSQL); on Citus nodes build as their distribution says. */
  target?: Target;
  catalog: Catalog;
  templates: TemplateSet;
  /** Per node, the columns that relationships tests point at (see key_removals.sql). */
  watched?: Map<string, string[]>;
  /** Per node, what it is built from (see run/unchanged.ts): recorded with its watermark. */
  definitions?: Map<string, string>;
  /**
   * A unit test's stand-ins for the bookkeeping (a schema for meta's tables, a relation for
   * staging.rejected_rows): its builds write only there, and record no watermark nor written keys.
   */
  scratch?: { meta: string; rejectedRows: string };
  beforeStatement?: StatementHook;
}

const asList = (v: unknown): string[] =>
  v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim());

/** `text` split at the commas outside parentheses, each part trimmed. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const ch of text) {
    if (ch === ',' && depth === 0) {
      parts.push(part.trim());
      part = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    part += ch;
  }
  return [...parts, part.trim()];
}

/**
 * The name of an index the runner makes on table `alias`: the same for the same table and definition in
 * every run, so that `create index if not exists` makes it once. A table refilled in place (views depend
 * on it) keeps its indexes from one build to the next; an unnamed CREATE INDEX would add another each time.
 */
const indexName = (alias: string, definition: string, unique = false): string =>
  `${alias.slice(0, 40)}_${createHash('sha1').update(`${alias}\0${unique ? 'unique ' : ''}${definition}`).digest('hex').slice(0, 10)}_idx`;

/**
 * The indexes of `indexes="a, (b, c), (lower(d))"`, one per item: a column, columns in parentheses
 * (an index on several columns: "b, c"), or an expression in parentheses, as CREATE INDEX takes it;
 * a list (YAML) gives one index per element as written.
 */
export function indexList(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v.map(String);
  return topLevelParts(String(v)).filter(Boolean).map((item) => {
    const inner = /^\((.*)\)$/s.exec(item)?.[1];
    return inner !== undefined && topLevelParts(inner).length > 1 ? inner.trim() : item;
  });
}

/** Everything a materialization template may use. */
export function templateContext(node: Node, sql: string, ctx: NodeRunContext, existing: Relation | undefined, extra: Record<string, unknown> = {}) {
  const alias = (node.config.alias as string | undefined) ?? node.name;
  const tmpName = `${alias.slice(0, 40)}__sadp_tmp_${ctx.runId}`;
  // the table template builds beside the target under this name too; the incremental one uses it for its temp table

  const uniqueKey = asList(node.config.unique_key);
  const srcName = `${alias.slice(0, 36)}__sadp_src_${ctx.runId}`;
  // the spreads come last: an object literal that starts with a spread and goes on with thirty keys
  // costs V8 ~50 µs to build (a dictionary-mode object), the same keys before it ~0.3 µs
  return {
    node: node.name,
    config: node.config,
    schema: node.config.schema,
    alias,
    relation: relationOf(node),
    tmp_name: tmpName,
    tmp_relation: `${ident(node.config.schema)}.${ident(tmpName)}`,
    sql: sql.replace(/;\s*$/, ''),
    exists: Boolean(existing),
    existing_kind: existing?.kind,
    replaces_table: existing?.kind === 'table',
    has_dependents: existing?.hasDependents ?? false,
    full_refresh: ctx.fullRefresh,
    build_full: !existing || existing.kind !== 'table' || ctx.fullRefresh,
    unique_key: uniqueKey,
    unique_key_quoted: uniqueKey.map(ident),
    columns: (existing?.columns ?? []).map(ident),
    indexes: indexList(node.config.indexes).map((columns) => ({ columns, name: ident(indexName(alias, columns)) })),
    unique_index_name: ident(indexName(alias, uniqueKey.map(ident).join(', '), true)),
    run_id: ctx.runId,
    src_name: srcName,
    src_relation: qualified(node.config.schema, srcName),
    reject_column: node.config.reject_column,
    reject_source: node.config.reject_source ?? node.name,
    node_literal: literal(node.name),
    meta: ctx.scratch?.meta ?? 'meta',
    rejected_rows: ctx.scratch?.rejectedRows ?? 'staging.rejected_rows',
    watched: (ctx.watched?.get(node.name) ?? []).map((name, i) => ({
      name, quoted: ident(name), temp: `${alias.slice(0, 30)}__sadp_gone_${ctx.runId}_${i}`,
    })),
    ...distributionContext(node, ctx, existing, uniqueKey),
    ...extra,
  };
}

/**
 * On Citus, how the node's table is placed: `distributed` when it is hash-distributed or a reference
 * table (its materialization then builds with work tables on the workers, see runner/templates/citus),
 * the distribution column, and whether the unique key holds it (a merge then matches rows shard by shard).
 */
function distributionContext(node: Node, ctx: NodeRunContext, existing: Relation | undefined, uniqueKey: string[]) {
  const dist = ctx.target === 'citus' ? node.distribution : undefined;
  const hash = dist?.kind === 'hash' ? dist.column : undefined;
  const placed = existing?.distribution;
  return {
    distributed: dist?.kind === 'hash' || dist?.kind === 'reference',
    reference: dist?.kind === 'reference',
    dist_column: hash ? ident(hash) : undefined,
    dist_column_name: hash,
    key_holds_dist: !hash || uniqueKey.includes(hash),
    // work tables shaped like the table go where its shards are
    colocate_with: hash && placed?.kind === 'hash' && placed.column === hash ? relationOf(node) : undefined,
  };
}

/** Materializations whose every build records in meta.key_removals what it took away (key_removals.sql). */
export const recordsKeyRemovals = (materialized: string) => ['table', 'incremental', 'snapshot'].includes(materialized);

/**
 * A view's statements as one text, for a round trip shared with other views (see buildNodes): a view is
 * only its definition, so there is nothing to count and nothing to record.
 */
export function viewSql(node: Node, sql: string, ctx: NodeRunContext, extra: Record<string, unknown> = {}): string {
  const existing = ctx.catalog.get(nodeKey(node));
  const template = ctx.templates.get('view');
  if (!template) throw new Error('no template for materialization "view"');
  return splitStatements(template(templateContext(node, sql, ctx, existing, extra)))
    .map((s) => s.text.replace(/;\s*$/, '')).join(';\n');
}

/**
 * Runs one node's materialization in a single transaction on `conn`. A node that reads only what is new
 * since its last success (incremental, snapshot) records that success in `meta.node_state` inside the
 * same transaction, so that its watermark moves exactly when its changes become visible. Every node's
 * row in `meta.node_runs` is written with the run's bookkeeping at the end.
 */
export async function materialize(conn: Conn, node: Node, sql: string, ctx: NodeRunContext,
  extra: Record<string, unknown> = {}): Promise<NodeOutcome> {
  const existing = ctx.catalog.get(nodeKey(node));
  const template = ctx.templates.get(node.config.materialized);
  if (!template) throw new Error(`no template for materialization "${node.config.materialized}"`);
  const watermarked = node.config.materialized === 'incremental' || node.config.materialized === 'snapshot';
  const stored = recordsKeyRemovals(node.config.materialized);
  // a unit test's build (scratch) records nothing: no watermark, no removals
  const records = (changed: boolean) => ctx.scratch ? '' : [
    ...(watermarked || node.config.materialized === 'table' ? [statement('run/record-node-state',
      { node: node.name, run_id: ctx.runId, changed, definition: ctx.definitions?.get(node.name) ?? '' })] : []),
    // a build that no relationships test watched: nobody knows what it removed (see key_removals.sql)
    ...(stored && !ctx.watched?.get(node.name)?.length
      ? [statement('run/record-unknown-removals', { node: node.name, run_id: ctx.runId })] : []),
  ].join(';\n');
  const record = records(true);
  // a merge keeps the keys of the rows it writes: the run's tests may check just those
  const written = watermarked && existing && !ctx.fullRefresh && !ctx.scratch ? writtenKeys(node) : undefined;
  const render = (more: Record<string, unknown>) =>
    splitStatements(template(templateContext(node, sql, ctx, existing, { ...extra, written: written?.relation, ...more })));

  let statements = render({});
  if (!statements.some((s) => s.rows > 0)) {
    // nothing to count (views): one round trip, one implicit transaction
    const ran = statements.map((s) => s.text.replace(/;\s*$/, '')).join(';\n');
    const text = record ? `${ran};\n${record}` : ran;
    try {
      await conn.unsafe(text);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (node.config.materialized !== 'view' || (code !== '42P16' && code !== '42804')) throw attachSql(e, text);
      // the view's columns changed: create or replace cannot do that, so drop and create it
      statements = render({ recreate: true });
      const again = statements.map((s) => s.text.replace(/;\s*$/, '')).join(';\n');
      try {
        await conn.unsafe(record ? `${again};\n${record}` : again);
      } catch (e2) {
        throw attachSql(e2, again);
      }
      return { rows: null, sql: again };
    }
    return { rows: null, sql: ran };
  }
  let rows: number | null = null;
  const ran: string[] = [];
  await conn.unsafe('begin');
  try {
    for (const s of statements) {
      ran.push(s.text);
      await ctx.beforeStatement?.(node.name, s.text, conn);
      const result = await conn.unsafe(s.text);
      if (s.rows) rows = (rows ?? 0) + s.rows * (result.count ?? 0);
    }
    // a merge that wrote nothing changed nothing: what reads it may be left alone
    const done = records(!written || (rows ?? 0) > 0);
    if (done) await conn.unsafe(done);
    await conn.unsafe('commit');
  } catch (e) {
    await conn.unsafe('rollback').catch(() => {});
    throw attachSql(e, ran.join(';\n--\n'), ran[ran.length - 1]);
  }
  return { rows, sql: ran.join(';\n'), written: written && { relation: written.relation, columns: written.columns(extra) },
    changed: !written || (rows ?? 0) > 0 };
}

/**
 * Where a merge of `node` keeps the keys of the rows it wrote: `meta.written_<alias>_<hash>`, and the key
 * columns (the unique key: of the model for an incremental, of the snapshot's context for a snapshot).
 */
function writtenKeys(node: Node) {
  // an incremental model without a key only appends: its tests check every row
  if (node.config.materialized !== 'snapshot' && !asList(node.config.unique_key).length) return undefined;
  const alias = (node.config.alias as string | undefined) ?? node.name;
  const name = `written_${alias.slice(0, 40)}_${createHash('sha1').update(`${node.config.schema}.${alias}`).digest('hex').slice(0, 8)}`;
  return {
    relation: `meta.${ident(name)}`,
    columns: (extra: Record<string, unknown>) =>
      node.config.materialized === 'snapshot' ? [String(extra.unique_key)] : asList(node.config.unique_key).map(ident),
  };
}

export class NodeSqlError extends Error {
  constructor(readonly cause: unknown, readonly sql: string, readonly statement?: string) {
    super((cause as Error)?.message ?? String(cause));
  }
}

function attachSql(e: unknown, sql: string, statement?: string): NodeSqlError {
  return new NodeSqlError(e, sql, statement ?? sql);
}
