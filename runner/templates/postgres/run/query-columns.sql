{{!-- the columns of a model's SELECT with their types as format_type spells them (typmod included, so
      numeric(12,2) is not numeric): a temporary view is only parsed, its query never planned nor run --}}
create temporary view {{ident name}} as select * from (
{{sql}}
) as described;
select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
from pg_attribute as a
where a.attrelid = (select c.oid from pg_class as c where c.relname = {{literal name}} and c.relnamespace = pg_my_temp_schema())
  and a.attnum > 0 and not a.attisdropped
order by a.attnum;
drop view {{ident name}}
