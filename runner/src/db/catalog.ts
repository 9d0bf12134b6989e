import type { Node } from '../compile/compile.js';
import type { Sql } from './connection.js';

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
  // set-based: one pass over pg_attribute and pg_depend for all relations (per-row subqueries took
  // 0.17 s on 1,000 views, this 0.07 s); the columns and dependents of tables only (merges use the
  // columns, a table's rebuild its dependents; a view is replaced in place and needs neither)
  const rows = await sql`
    with rels as (
      select c.oid, n.nspname, c.relname, c.relkind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any(${schemas}) and c.relkind in ('r', 'v', 'p', 'm')
    ),
    cols as (
      select a.attrelid as oid, array_agg(a.attname::text order by a.attnum) as columns
      from pg_attribute a
      where a.attrelid in (select oid from rels where relkind <> 'v') and a.attnum > 0 and not a.attisdropped
      group by a.attrelid
    ),
    deps as (
      select distinct d.refobjid as oid
      from pg_depend d join pg_rewrite r on r.oid = d.objid
      where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
        and d.refobjid in (select oid from rels where relkind <> 'v') and r.ev_class <> d.refobjid
    )
    select rels.nspname as schema, rels.relname as name, rels.relkind as kind,
           coalesce(cols.columns, '{}') as columns, deps.oid is not null as has_dependents
    from rels left join cols using (oid) left join deps using (oid)`;
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
