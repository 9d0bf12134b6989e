{{!-- what is there already of the raw tables $1 (text[]) and their partition schemas $2 (text[]), in
      order: DDL on a partitioned table locks every partition, even when it changes nothing --}}
select to_regclass('staging.rejected_rows') is not null as rejects,
  exists (select from pg_namespace where nspname = b) as batches,
  (select relkind from pg_class where oid = to_regclass(n)) as kind,
  (select coalesce(json_agg(attname::text), '[]') from pg_attribute
    where attrelid = to_regclass(n) and attnum > 0 and not attisdropped) as columns
from unnest($1::text[], $2::text[]) with ordinality as x(n, b, i) order by i
