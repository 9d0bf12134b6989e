{{!-- every relation of the schemas $1 (text[]): kind, and for tables their columns (with their types as
      format_type spells them) and whether other relations (views) depend on them. Set-based: one pass over pg_attribute and pg_depend for all. --}}
with rels as (
  select c.oid, n.nspname, c.relname, c.relkind
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'p', 'm')
),
cols as (
  select a.attrelid as oid, array_agg(a.attname::text order by a.attnum) as columns,
         array_agg(format_type(a.atttypid, a.atttypmod) order by a.attnum) as types
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
       coalesce(cols.columns, '{}') as columns, coalesce(cols.types, '{}') as types, deps.oid is not null as has_dependents
from rels left join cols using (oid) left join deps using (oid)
