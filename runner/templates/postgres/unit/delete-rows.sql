{{!-- before new rows of an input come in: with `key`, the stored rows they replace (an incremental model
      merges on its unique key, a snapshot's versions by surrogate key); without, every row --}}
delete from {{relation}} as stored
{{#if key}}
using json_populate_recordset(null::{{relation}}, $1::json) as given
where {{#each key}}stored.{{this}} is not distinct from given.{{this}}{{#unless @last}} and {{/unless}}{{/each}}
{{/if}}
