import { createHash } from 'node:crypto';
import { compiledSql, type CompiledProject, type Node } from '../compile/compile.js';
import type { Database } from '../db/connection.js';
import { isConnectionLoss } from '../db/loss.js';
import type { Session } from '../db/session.js';
import { statement } from '../sql/statements.js';

/**
 * A table, incremental model or snapshot whose inputs did not change since its last success, and whose
 * definition did not change, would build to what it holds already: a run leaves it alone (a catalog
 * look-up instead of a build). Inputs are the models it refs and the sources it reads, looking through
 * views and ephemeral models (a view is only its definition, rebuilt each run) to what they read: a
 * landing source changed when a file of it was ingested after the node's last success, a seed when it
 * was loaded after it, a model when its rows changed after it (or in this run). A source the runner
 * doesn't load (no ingested file on record) always counts as changed, as does anything without a
 * record. The definition takes in the views and ephemeral models it reads. A model that reads nothing,
 * or whose data test failed last time, is built; --full-refresh builds all.
 */
export interface ChangeState {
  nodes: Map<string, { run: number; changed: number; definition: string | null; at: Date }>;
  /** The last run that landed a file of each source table. */
  sources: Map<string, number>;
  /** When each seed was last loaded. */
  seeds: Map<string, Date>;
  /** Models with a data test that failed last time: built again, which may repair them. */
  failing: Set<string>;
  /** Nodes built in this run, and which of them changed. */
  ran: Set<string>;
  changed: Set<string>;
}

export async function readChangeState(sql: Database['sql']): Promise<ChangeState> {
  const state: ChangeState = { nodes: new Map(), sources: new Map(), seeds: new Map(), failing: new Set(), ran: new Set(), changed: new Set() };
  for (const r of await sql.unsafe(statement('run/change-state'))) {
    if (r.kind === 'node') {
      state.nodes.set(r.name, { run: Number(r.run_id), changed: Number(r.changed_run_id), definition: r.definition, at: new Date(r.updated_at) });
    } else if (r.kind === 'source') state.sources.set(r.name, Number(r.run_id));
    else if (r.kind === 'seed') state.seeds.set(r.name, new Date(r.updated_at));
    else state.failing.add(r.name);
  }
  return state;
}

/** Materializations a run may leave alone; views and ephemeral models are what they read. */
export const skippable = (node: Node) => ['table', 'incremental', 'snapshot'].includes(node.config.materialized);
const transparent = (node: Node) => ['view', 'ephemeral'].includes(node.config.materialized);

/** What a node is built from: its compiled SQL and configuration, and those of the views it reads. */
export function definitionOf(node: Node, compiled: CompiledProject): string {
  const hash = createHash('sha1').update(compiledSql(node, compiled)).update(JSON.stringify(node.config));
  // a var may be read only in the incremental branch (not in the compiled SQL): a changed value rebuilds
  if (Object.keys(compiled.vars).length && readsVars(node, compiled)) hash.update(JSON.stringify(compiled.vars));
  for (const ref of node.refs) {
    const parent = compiled.nodes.get(ref)!;
    if (parent.config.materialized === 'view') hash.update(definitionOf(parent, compiled));
  }
  return hash.digest('hex');
}

/** Whether the node's template, or a macro (which it may call), reads `{{var}}`. */
const readsVars = (node: Node, compiled: CompiledProject) => /\bvar\b/.test(node.file.text) || compiled.macrosReadVars;

/**
 * Whether `sql` (the node's SELECT) reads nothing but the node's own relation, what it refs, its sources
 * and the runner's bookkeeping, through the views it reads: only then do the recorded inputs tell whether
 * it changed. A model that names a table itself, not through ref or source, is always built.
 */
export async function inputsDeclared(conn: Session['sql'], node: Node, compiled: CompiledProject, sql: string): Promise<boolean> {
  const allowed = new Set([`${node.config.schema}.${(node.config.alias as string | undefined) ?? node.name}`]);
  const allow = (n: Node) => {
    for (const key of n.sources) {
      const source = compiled.sources.get(key)!;
      allowed.add(`${source.schema}.${source.name}`);
    }
    for (const ref of n.refs) {
      const parent = compiled.nodes.get(ref)!;
      if (parent.config.materialized !== 'ephemeral') allowed.add(`${parent.config.schema}.${(parent.config.alias as string | undefined) ?? parent.name}`);
      if (transparent(parent)) allow(parent);
    }
  };
  allow(node);
  await conn.unsafe('begin');
  try {
    await conn.unsafe(statement('run/inputs-view', { sql: sql.replace(/;\s*$/, '') }));
    const read = await conn.unsafe(statement('run/inputs')) as unknown as { schema: string; name: string }[];
    return read.every((r) => r.schema === 'meta' || allowed.has(`${r.schema}.${r.name}`));
  } catch (e) {
    if (isConnectionLoss(e)) throw e;
    return false;
  } finally {
    await conn.unsafe('rollback').catch(() => {});
  }
}

/** The run of `node`'s last success when nothing it reads or is made of changed since; otherwise undefined. */
export function unchangedSince(node: Node, compiled: CompiledProject, state: ChangeState, definition: string): number | undefined {
  const own = state.nodes.get(node.name);
  if (!own || !own.definition || own.definition !== definition || state.failing.has(node.name)) return undefined;
  // a model that reads nothing (a constant, a calendar from current_date) has nothing to tell by
  if (!node.refs.length && !node.sources.length) return undefined;
  return inputsUnchanged(node, compiled, state, own) ? own.run : undefined;
}

function inputsUnchanged(node: Node, compiled: CompiledProject, state: ChangeState, since: { run: number; at: Date }): boolean {
  for (const key of node.sources) {
    const source = compiled.sources.get(key)!;
    if (source.source === 'seeds') {
      const loaded = state.seeds.get(source.name);
      if (!loaded || loaded > since.at) return false;
    } else {
      const landed = state.sources.get(source.name);
      if (landed === undefined || landed > since.run) return false;
    }
  }
  for (const ref of node.refs) {
    const parent = compiled.nodes.get(ref)!;
    if (transparent(parent)) {
      if (!inputsUnchanged(parent, compiled, state, since)) return false;
      continue;
    }
    if (state.ran.has(ref)) {
      if (state.changed.has(ref)) return false;
      continue;
    }
    const parentState = state.nodes.get(ref);
    if (!parentState || parentState.changed > since.run) return false;
  }
  return true;
}
