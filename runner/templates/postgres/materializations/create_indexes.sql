{{!-- named for the table and the definition (see indexName): a table refilled in place keeps its
      indexes, and the same index is not made again --}}
{{#each indexes}}
create index if not exists {{name}} on {{../relation}} ({{columns}});
--;
{{/each}}
