-- Raw tables become partitioned by _batch_id: every landed file is a partition of its own (a big file's
-- partition is split by _line into parts loaded side by side), kept in the schema raw_batches. List
-- partitions: `_batch_id > n` then reads exactly the batches after n. Loading a file creates and
-- attaches its partitions in the file's transaction; the staging models' "batches since last time"
-- read only the new partitions (partition pruning), so the _batch_id indexes go.
-- What a raw table held before becomes one partition covering its batches.
create schema if not exists raw_batches;
do $$
declare
  t text;
  old text;
  batches text;
begin
  foreach t in array array['customers', 'customers_updates', 'products', 'stores', 'sales'] loop
    if (select relkind from pg_class where oid = to_regclass(format('raw.%I', t))) is distinct from 'r' then
      continue;
    end if;
    -- a view on a raw table would follow the old table (it points at it, not at its name) and show only
    -- the old batches from then on: refuse, and say which
    if exists (select from pg_depend d join pg_rewrite r on r.oid = d.objid
               where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
                 and d.refobjid = format('raw.%I', t)::regclass and r.ev_class <> d.refobjid) then
      raise exception 'raw.% has views that depend on it (%): drop them, run the migration again, then create them anew',
        t, (select string_agg(distinct r.ev_class::regclass::text, ', ') from pg_depend d join pg_rewrite r on r.oid = d.objid
            where d.classid = 'pg_rewrite'::regclass and d.refobjid = format('raw.%I', t)::regclass and r.ev_class <> d.refobjid);
    end if;
    old := t || '_before_partitioning';
    execute format('alter table raw.%I rename to %I', t, old);
    execute format('alter table raw.%I set schema raw_batches', old);
    execute format('drop index if exists raw_batches.%I', t || '_batch');
    execute format('create table raw.%I (like raw_batches.%I including defaults) partition by list (_batch_id)', t, old);
    execute format('select string_agg(distinct _batch_id::text, '', '') from raw_batches.%I', old) into batches;
    if batches is null then
      execute format('drop table raw_batches.%I', old);
    else
      execute format('alter table raw.%I attach partition raw_batches.%I for values in (%s)', t, old, batches);
    end if;
  end loop;
end $$;
