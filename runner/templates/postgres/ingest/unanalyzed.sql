{{!-- of the tables named $1 (text[]), those that were never analyzed --}}
select c.oid::regclass::text as name from pg_class as c
where c.oid = any(array(select to_regclass(n) from unnest($1::text[]) as n)) and c.reltuples < 0
