{{!-- When a source table last landed rows (the newest value of its load-time column) and how many
      seconds ago that was, by the server's clock. --}}
select max({{ident loaded_at_field}})::timestamptz as max_loaded_at,
       extract(epoch from now() - max({{ident loaded_at_field}})::timestamptz)::float8 as age_seconds
from {{ident schema}}.{{ident name}}
