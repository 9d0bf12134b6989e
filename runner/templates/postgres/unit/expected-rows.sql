{{!-- the expected rows $1 read with the types of `relation`'s columns, then as text as actual-rows.sql
      gives them: 2025-01-01 and 2025-01-01 00:00:00 compare equal in a timestamp column --}}
select {{#each columns}}{{#if numeric}}trim_scale({{quoted}}){{else}}{{quoted}}{{/if}}::text{{#unless @last}}, {{/unless}}{{/each}}
from json_populate_recordset(null::{{relation}}, $1::json)
