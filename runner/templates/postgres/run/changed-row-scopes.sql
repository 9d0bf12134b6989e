{{!-- For each candidate test ($1: JSON array of test, parent model and field, the relation and column
      checked, the parent's relation): the run of its last outcome when that outcome is fully known (a
      pass, or a relationships test's failing values), those values and their type, the parent's estimated
      rows, and whether no build of the parent since then took away a value of the referenced column. --}}
select x.test, s.run_id as since, coalesce(s.failing, '{}') as failing,
  (select c.reltuples from pg_class as c where c.oid = to_regclass(x.parent_relation)) as parent_rows,
  case when cardinality(s.failing) > 0 then
    (select format_type(a.atttypid, a.atttypmod) from pg_attribute as a
     where a.attrelid = to_regclass(x.relation) and a.attname = x.column_name) end as value_type,
  x.parent is null or not exists (
    select 1 from meta.key_removals as build
    where build.node = x.parent and build.run_id > s.run_id
      and not exists (select 1 from meta.key_removals as ok where ok.node = build.node and ok.run_id = build.run_id
                      and ok.field = x.field and ok.removed = 0)) as parent_kept
from jsonb_to_recordset($1::jsonb)
  as x(test text, parent text, field text, relation text, column_name text, parent_relation text)
join meta.test_state as s on s.test = x.test
  and (s.status = 'pass' or (s.failing is not null and x.relation is not null))
