{{!-- the table a seed replaces ($1): whether it is there, how many views depend on it, and whether its
      columns are the seed's ($2, text[]) --}}
select to_regclass($1) is not null as exists,
  (select count(*) from pg_depend d join pg_rewrite r on r.oid = d.objid
    where d.refobjid = to_regclass($1) and r.ev_class <> d.refobjid)::int as dependents,
  (select array_agg(attname::text order by attnum) from pg_attribute
    where attrelid = to_regclass($1) and attnum > 0 and not attisdropped) = $2::text[] as same
