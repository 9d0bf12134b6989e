{{!-- the columns of every relation in the schemas $1 (text[]), with what makes their type --}}
select table_schema, table_name, column_name, data_type, udt_name, character_maximum_length as len,
  numeric_precision, numeric_scale
from information_schema.columns where table_schema = any($1::text[])
order by table_schema, table_name, ordinal_position
