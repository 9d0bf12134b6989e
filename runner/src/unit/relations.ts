import { resolveSql, type Node } from '../compile/compile.js';
import type { SourceTable } from '../project/sources.js';
import { ident } from '../sql/quote.js';

/**
 * Where a unit test's relations live: the session's temporary schema, which no other session sees and
 * which goes with the session, whatever becomes of the process. A model reads its inputs there under
 * the names of the models and sources it refers to; the warehouse's relations are never named.
 */
export const scratchSchema = 'pg_temp';

/** The temporary relation of an input: `ref("stg_sales")` → stg_sales, `source("raw", "sales")` → raw.sales. */
export const inputName = (_kind: 'ref' | 'source', name: string) => name;

/** The relation that holds the column types of a model or source, with no rows (see shapes.ts). */
export const shapeName = (kind: 'ref' | 'source', name: string) => `${kind === 'ref' ? name : `source:${name}`}:shape`;

export const scratchRelation = (name: string) => `${ident(scratchSchema)}.${ident(name)}`;

/** A model as a unit test sees it: the same model, building or read under `name` in the scratch schema. */
export function standIn(node: Node, name: string, materialized = node.config.materialized): Node {
  return { ...node, config: { ...node.config, schema: scratchSchema, alias: name, materialized } };
}

/** A source read from `name` in the scratch schema. */
export const sourceStandIn = (source: SourceTable, name: string): SourceTable => ({ ...source, schema: scratchSchema, name });

/**
 * A model's rendered SQL with its refs and sources pointing at the scratch relations `nameOf` gives
 * (inputs, or upstream shapes), and `{{this}}` at `self`. Ephemeral refs are read like any other input.
 */
export function resolveInScratch(rendered: string, self: Node, nodes: Map<string, Node>, sources: Map<string, SourceTable>,
  nameOf: (kind: 'ref' | 'source', name: string) => string): string {
  const refs = new Map(self.refs.map((r) => [r, standIn(nodes.get(r)!, nameOf('ref', r), 'table')]));
  const read = new Map(self.sources.map((s) => [s, sourceStandIn(sources.get(s)!, nameOf('source', s))]));
  return resolveSql(rendered, self, refs, read).trim().replace(/;\s*$/, '');
}
