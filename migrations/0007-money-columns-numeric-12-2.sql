-- Staging kept money as plain numeric until the to_money macro cast its result once more (a CASE drops
-- the precision and scale of its branches): DESIGN §4 wants numeric(12,2) in every layer. Incremental
-- models keep the column type of their first build, so the tables built before are altered here; the
-- values were validated to two decimals already, so the cast changes none of them. A table that a user's
-- view reads is left as it is (PostgreSQL can't change a column under a view): the notice says so.
do $$
declare
  target record;
begin
  for target in
    select c.oid::regclass as rel, a.attname as col
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    where ((c.oid = to_regclass('staging.stg_sales') and a.attname = 'revenue')
        or (c.oid = to_regclass('staging.stg_products') and a.attname = 'unit_price')
        or (c.oid = to_regclass('analytics.dim_product') and a.attname = 'unit_price'))
      and c.relkind = 'r' and a.atttypid = 'numeric'::regtype and a.atttypmod = -1 and not a.attisdropped
  loop
    begin
      execute format('alter table %s alter column %I type numeric(12, 2)', target.rel, target.col);
    exception when dependent_objects_still_exist or feature_not_supported then
      raise notice '%.% stays numeric: a view depends on it (%); build with --full-refresh after dropping the view to make it numeric(12,2)',
        target.rel, target.col, sqlerrm;
    end;
  end loop;
end
$$;
