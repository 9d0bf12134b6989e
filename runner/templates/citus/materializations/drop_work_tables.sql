{{!-- the node's work tables (and `also`, another of its own), once its table is built: one statement,
      one round of DDL on the shards --}}
{{#if also}}
drop table {{also}}{{#each work_tables}}, {{relation}}{{/each}};
{{else if work_tables}}
drop table {{#each work_tables}}{{relation}}{{#unless @last}}, {{/unless}}{{/each}};
{{/if}}
