{{!-- the node's work tables, once its table is built --}}
{{#if work_tables}}
drop table {{#each work_tables}}{{relation}}{{#unless @last}}, {{/unless}}{{/each}};
{{/if}}
