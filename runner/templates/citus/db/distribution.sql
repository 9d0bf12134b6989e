{{!-- how Citus places the tables of the schemas $1 (text[]): 'hash' on dist_column, or 'reference' (a
      table it doesn't list stays on the coordinator) --}}
select n.nspname as schema, c.relname as name,
       case when p.partmethod = 'h' then 'hash' when p.repmodel = 't' then 'reference' end as dist_kind,
       case when p.partmethod = 'h' then column_to_column_name(p.logicalrelid, p.partkey) end as dist_column
from pg_dist_partition as p
join pg_class as c on c.oid = p.logicalrelid
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname = any($1::text[])
