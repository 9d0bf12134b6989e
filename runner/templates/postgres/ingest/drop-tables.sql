drop table if exists {{#each tables}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}
