{{!-- of the tables $1 (text[], qualified names), those that exist and that Citus doesn't place yet (made
      by a migration, or before the database had workers), and whether each is partitioned --}}
select n as relation, i - 1 as index,
  exists (select from pg_partitioned_table where partrelid = to_regclass(n)) as partitioned
from unnest($1::text[]) with ordinality as x(n, i)
where to_regclass(n) is not null
  and not exists (select from pg_dist_partition where logicalrelid = to_regclass(n))
order by i
