{{#each indexes}}
create index on {{../relation}} ({{this}});
--;
{{/each}}
