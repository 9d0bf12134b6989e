import { readsRunContext, relationOf, renderModel, resolveRefs, resolveSql, type CompiledProject, type Node } from '../compile/compile.js';
import { blocksAsWorkTables } from '../compile/repartition.js';
import type { Session } from '../db/session.js';
import { qualified } from '../sql/quote.js';
import { statement } from '../sql/statements.js';
import type { Relation } from '../db/catalog.js';
import type { Watermark } from './context.js';

/**
 * The SQL a node runs in this run: rendered again when its text depends on the run (an incremental
 * branch, the previous watermark, the run id, or the safe per-row parsing after a failed cast), else its
 * compiled rendering; refs resolved, ephemeral models inlined with the same context. With `workTables`
 * (Citus), `{{#repartition}}` blocks stay marked for the materialization to build.
 */
export function sqlForRun(node: Node, compiled: CompiledProject, existing: Relation | undefined, prev: Watermark,
  run: { runId: number; fullRefresh: boolean; safe: boolean; workTables?: boolean }): string {
  const incremental = ['incremental', 'snapshot'].includes(node.config.materialized) && existing?.kind === 'table' && !run.fullRefresh;
  const ctx = { is_incremental: incremental, prev, run_id: run.runId, full_refresh: Boolean(run.fullRefresh), vars: compiled.vars, safe: run.safe };
  const needsRender = run.safe || incremental || readsRunContext(node.file.text);
  const rendered = needsRender ? renderModel(compiled.hb, node.file, ctx).rendered : node.rendered;
  // ephemeral models inlined here see the same context
  const renderOf = (n: Node) => (run.safe ? renderModel(compiled.hb, n.file, ctx).rendered : n.rendered);
  return (run.workTables ? resolveRefs : resolveSql)(rendered, node, compiled.nodes, compiled.sources, renderOf);
}

/**
 * Citus: the node's SQL with its `{{#repartition}}` blocks reading work tables, and those work tables
 * (named after the node and the run, in its schema) with their columns. One distributed on the column the
 * node's table is distributed on goes beside that table's shards.
 */
export async function withWorkTables(conn: Session['sql'], node: Node, sql: string, run: { runId: number; existing?: Relation }) {
  const alias = ((node.config.alias as string | undefined) ?? node.name).slice(0, 30);
  const built = blocksAsWorkTables(sql, (i) => qualified(node.config.schema, `${alias}__sadp_w${i}_${run.runId}`));
  const placed = run.existing?.distribution;
  const workTables = await Promise.all(built.workTables.map(async (w) => ({ ...w,
    columns: ((await conn.unsafe(statement('run/describe', { sql: w.sql }))) as unknown as { columns: { name: string }[] })
      .columns.map((c) => c.name),
    colocate_with: placed?.kind === 'hash' && placed.column === w.by ? relationOf(node) : null })));
  return { sql: built.sql, workTables };
}

/**
 * What a node reads and writes, for lineage: the relations of its refs (through ephemeral models to
 * what they read) and its sources; its own relation.
 */
export function lineageOf(node: Node, compiled: CompiledProject) {
  const sourceName = (key: string) => {
    const src = compiled.sources.get(key)!;
    return `${src.schema}.${src.name}`;
  };
  return {
    name: node.name,
    inputs: [...new Set([...inputsOf(node, compiled), ...node.sources.map(sourceName)])],
    output: `${node.config.schema}.${(node.config.alias as string) ?? node.name}`,
  };
}

/** The relations a node reads through its refs, looking through ephemeral models to what they read. */
function inputsOf(node: Node, compiled: CompiledProject, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const ref of node.refs) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    const parent = compiled.nodes.get(ref)!;
    if (parent.config.materialized === 'ephemeral') {
      out.push(...inputsOf(parent, compiled, seen));
      for (const k of parent.sources) {
        const src = compiled.sources.get(k)!;
        out.push(`${src.schema}.${src.name}`);
      }
    } else out.push(`${parent.config.schema}.${(parent.config.alias as string) ?? parent.name}`);
  }
  return out;
}
