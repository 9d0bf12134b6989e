{{!-- the rows every table in the schemas $1 (text[]) holds, counted now: the docs show what a table
      holds, beside what the last run wrote. Views are not counted (that would run their query). --}}
select namespace.nspname as table_schema, relation.relname as table_name,
  (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I.%I', namespace.nspname, relation.relname),
    false, true, '')))[1]::text::bigint as row_count
from pg_class as relation
inner join pg_namespace as namespace on namespace.oid = relation.relnamespace
where namespace.nspname = any($1::text[]) and relation.relkind in ('r', 'p') and not relation.relispartition
order by 1, 2
