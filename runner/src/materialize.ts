import type { Catalog, Relation } from './catalog.js';
import { catalogKey } from './catalog.js';
import type { Node } from './compile.js';
import { relationOf } from './compile.js';
import { ident, literal } from './sql-text.js';
import { splitStatements, type TemplateSet } from './templates.js';

export interface NodeOutcome {
  rows: number | null;
  /** The statements that ran, for target/run/ and error messages. */
  sql: string;
}

type Conn = {
  unsafe(query: string): Promise<{ count: number; command: string }[] & { count: number }>;
};

export interface NodeRunContext {
  runId: number;
  fullRefresh: boolean;
  catalog: Catalog;
  templates: TemplateSet;
}

const asList = (v: unknown): string[] =>
  v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim());

/** Everything a materialization template may use. */
export function templateContext(node: Node, sql: string, ctx: NodeRunContext, existing: Relation | undefined, extra: Record<string, unknown> = {}) {
  const alias = (node.config.alias as string | undefined) ?? node.name;
  const tmpName = `${alias.slice(0, 40)}__sadp_tmp_${ctx.runId}`;
  // the table template builds beside the target under this name too; the incremental one uses it for its temp table

  const uniqueKey = asList(node.config.unique_key);
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
    indexes: asList(node.config.indexes),
    run_id: ctx.runId,
    src_name: `${alias.slice(0, 36)}__sadp_src_${ctx.runId}`,
    full_sql: `select * from ${ident(`${alias.slice(0, 36)}__sadp_src_${ctx.runId}`)}`,
    reject_column: node.config.reject_column,
    reject_source: node.config.reject_source ?? node.name,
    node_literal: literal(node.name),
    ...extra,
  };
}

/**
 * Runs one node's materialization in a single transaction on `conn`, and records its success in
 * `meta.node_runs` inside that same transaction, so that "this node succeeded in run N" is true exactly
 * when its changes are visible.
 */
export async function materialize(conn: Conn, node: Node, sql: string, ctx: NodeRunContext,
  extra: Record<string, unknown> = {}): Promise<NodeOutcome> {
  const existing = ctx.catalog.get(catalogKey(node.config.schema, (node.config.alias as string | undefined) ?? node.name));
  const template = ctx.templates.get(node.config.materialized);
  if (!template) throw new Error(`no template for materialization "${node.config.materialized}"`);
  const record = `insert into meta.node_runs (run_id, node, status, started_at) values (${ctx.runId}, ${literal(node.name)}, 'success', now())
    on conflict (run_id, node) do update set status = 'success'`;
  const render = (more: Record<string, unknown>) =>
    splitStatements(template(templateContext(node, sql, ctx, existing, { ...extra, ...more })));

  let statements = render({});
  if (!statements.some((s) => s.rows)) {
    // nothing to count (views): one round trip, one implicit transaction
    const ran = statements.map((s) => s.text.replace(/;\s*$/, '')).join(';\n');
    const text = `${ran};\n${record}`;
    try {
      await conn.unsafe(text);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (node.config.materialized !== 'view' || (code !== '42P16' && code !== '42804')) throw attachSql(e, text);
      // the view's columns changed: create or replace cannot do that, so drop and create it
      statements = render({ recreate: true });
      const again = statements.map((s) => s.text.replace(/;\s*$/, '')).join(';\n');
      try {
        await conn.unsafe(`${again};\n${record}`);
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
      const result = await conn.unsafe(s.text);
      if (s.rows) rows = (rows ?? 0) + (result.count ?? 0);
    }
    await conn.unsafe(record);
    await conn.unsafe('commit');
  } catch (e) {
    await conn.unsafe('rollback').catch(() => {});
    throw attachSql(e, ran.join(';\n--\n'), ran[ran.length - 1]);
  }
  return { rows, sql: ran.join(';\n') };
}

export class NodeSqlError extends Error {
  constructor(readonly cause: unknown, readonly sql: string, readonly statement?: string) {
    super((cause as Error)?.message ?? String(cause));
  }
}

function attachSql(e: unknown, sql: string, statement?: string): NodeSqlError {
  return new NodeSqlError(e, sql, statement ?? sql);
}
