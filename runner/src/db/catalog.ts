import type { Node } from '../compile/compile.js';
import type { Distribution } from '../compile/distribution.js';
import type { Sql } from './connection.js';
import { statement } from '../sql/statements.js';
import type { Target } from '../sql/templates.js';

export interface Relation {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns: string[];
  /** The columns' types as the catalog spells them (`numeric(12,2)`), where read from it. */
  types?: string[];
  /** Other relations (views) depend on it, so it must not be dropped. */
  hasDependents: boolean;
  /** Citus: how it is distributed (absent on PostgreSQL and for a table on the coordinator). */
  distribution?: Distribution;
}

export type Catalog = Map<string, Relation>;

export const catalogKey = (schema: string, name: string) => `${schema}.${name}`;

/** The catalog key of the relation a model builds (its schema, and its alias or name). */
export const nodeKey = (node: Node) => catalogKey(node.config.schema, (node.config.alias as string | undefined) ?? node.name);

/** Reads every relation of the given schemas in one query: the runner asks the catalog once per run. */
export async function readCatalog(sql: Sql, schemas: string[], target: Target = 'postgres'): Promise<Catalog> {
  const [rows, placed] = await Promise.all([sql.unsafe(statement('db/catalog'), [schemas]),
    target === 'citus' ? sql.unsafe(statement('db/distribution', {}, 'citus'), [schemas]) : []]);
  const out: Catalog = new Map();
  for (const r of rows) {
    out.set(catalogKey(r.schema, r.name), {
      schema: r.schema,
      name: r.name,
      kind: r.kind === 'v' ? 'view' : 'table',
      columns: r.columns,
      types: r.types,
      hasDependents: r.has_dependents,
    });
  }
  for (const p of placed) {
    const relation = out.get(catalogKey(p.schema, p.name));
    if (relation) relation.distribution = p.dist_kind === 'hash' ? { kind: 'hash', column: p.dist_column } : { kind: 'reference' };
  }
  return out;
}
