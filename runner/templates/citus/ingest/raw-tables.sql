{{!-- what is there already of the raw tables $1 (text[]) and their partition schemas $2 (text[]), in
      order: DDL on a partitioned table locks every partition, even when it changes nothing; and how Citus
      places each (a file's partitions are placed alike) --}}
select to_regclass('staging.rejected_rows') is not null as rejects,
  exists (select from pg_namespace where nspname = b) as batches,
  (select relkind from pg_class where oid = to_regclass(n)) as kind,
  (select coalesce(json_agg(attname::text), '[]') from pg_attribute
    where attrelid = to_regclass(n) and attnum > 0 and not attisdropped) as columns,
  (select case when p.partmethod = 'h' then 'hash' when p.repmodel = 't' then 'reference' end
    from pg_dist_partition as p where p.logicalrelid = to_regclass(n)) as dist_kind,
  (select column_to_column_name(p.logicalrelid, p.partkey)
    from pg_dist_partition as p where p.logicalrelid = to_regclass(n) and p.partmethod = 'h') as dist_column
from unnest($1::text[], $2::text[]) with ordinality as x(n, b, i) order by i
