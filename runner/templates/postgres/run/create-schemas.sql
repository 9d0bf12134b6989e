{{#each schemas}}
create schema if not exists {{ident this}};
{{/each}}
