-- On Citus, dim_customer is distributed by customer_id (README, "Scaling out on Citus"), and a unique
-- constraint of a distributed table must hold the distribution column: there the primary key becomes
-- (customer_id, customer_key). On plain PostgreSQL customer_key alone stays the key.
do $$
declare
  pkey text := (select conname from pg_constraint
                where conrelid = 'analytics.dim_customer'::regclass and contype = 'p'
                  and conkey = array[(select attnum from pg_attribute
                                      where attrelid = 'analytics.dim_customer'::regclass and attname = 'customer_key')]);
begin
  if pkey is not null and exists (select from pg_extension where extname = 'citus') then
    execute format('alter table analytics.dim_customer drop constraint %I, add primary key (customer_id, customer_key)', pkey);
  end if;
end
$$;
