{{!-- the table a changed seed loads into, beside the one it replaces: every column text --}}
create schema if not exists {{ident schema}};
drop table if exists {{temp}};
create table {{temp}} ({{#each columns}}{{ident this}} text{{#unless @last}}, {{/unless}}{{/each}})
