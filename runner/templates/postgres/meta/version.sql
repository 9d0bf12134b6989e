{{!-- the runner migrations the meta schema was last brought to (see db/meta.ts) --}}
select obj_description(oid, 'pg_namespace') as version from pg_namespace where nspname = 'meta'
