{{!-- of the tables named $1 (text[]), those that are no partition --}}
select c.oid::regclass::text as name from pg_class c
where c.oid = any(array(select to_regclass(n) from unnest($1::text[]) as n)) and not c.relispartition
