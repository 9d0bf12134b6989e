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

/** Reads every relation of the given schemas in one query: the runner asks the catalog once per run. */
export async function readCatalog(sql: Sql, schemas: string[]): Promise<Catalog> {
  const rows = await sql`
    select n.nspname as schema, c.relname as name, c.relkind as kind,
      coalesce((select array_agg(a.attname::text order by a.attnum) from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '{}') as columns,
      exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
              where d.refobjid = c.oid and d.classid = 'pg_rewrite'::regclass and r.ev_class <> c.oid) as has_dependents
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${schemas}) and c.relkind in ('r', 'v', 'p', 'm')`;
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

/** Columns of one relation, for the nodes that need them after the catalog was read (rare). */
export async function readColumns(sql: Sql, schema: string, name: string): Promise<string[]> {
  const rows = await sql`
    select a.attname::text as name from pg_attribute a
    where a.attrelid = to_regclass(${`"${schema.replace(/"/g, '""')}"."${name.replace(/"/g, '""')}"`}) and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  return rows.map((r) => r.name);
}
