{{!-- the compared columns of every row of `relation`, as text; a numeric without its trailing zeros
      (30.5 and 30.50 are one value; a numeric(12,2) column holds both as 30.50 anyway) --}}
select {{#each columns}}{{#if numeric}}trim_scale({{quoted}}){{else}}{{quoted}}{{/if}}::text{{#unless @last}}, {{/unless}}{{/each}}
from {{relation}}
