{{!-- the columns of the relation $1 (a qualified name) and their types, in order; none when it doesn't exist --}}
select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
from pg_attribute a
where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
order by a.attnum
