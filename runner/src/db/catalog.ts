import type { Node } from '../compile/compile.js';
import type { Sql } from './connection.js';
import { statement } from '../sql/statements.js';

export interface Relation {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  columns: string[];
  /** Other relations (views) depend on it, so it must not be dropped. */
  hasDependents: boolean;
}

export type Catalog = Map<string, Relation>;

export const catalogKey = (schema: string, name: string) => `${schema}.${name}`;

/** The catalog key of the relation a model builds (its schema, and its alias or name). */
export const nodeKey = (node: Node) => catalogKey(node.config.schema, (node.config.alias as string | undefined) ?? node.name);

/** Reads every relation of the given schemas in one query: the runner asks the catalog once per run. */
export async function readCatalog(sql: Sql, schemas: string[]): Promise<Catalog> {
  const rows = await sql.unsafe(statement('db/catalog'), [schemas]);
  const out: Catalog = new Map();
  for (const r of rows) {
    out.set(catalogKey(r.schema, r.name), {
      schema: r.schema,
      name: r.name,
      kind: r.kind === 'v' ? 'view' : 'table',
      columns: r.columns,
      hasDependents: r.has_dependents,
    });
  }
  return out;
}
