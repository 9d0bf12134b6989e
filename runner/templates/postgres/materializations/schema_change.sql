{{!-- on_schema_change: the table takes the SELECT's new shape before the merge writes, in the merge's
      transaction and in one ALTER TABLE (one rewrite at most). append_new_columns adds (the rows there
      get NULL); sync_all_columns also drops and retypes, each value cast as the model now types it. --}}
{{#if schema_change}}
alter table {{relation}}
{{#each schema_change}}
  {{#if (eq action "add")}}add column {{ident name}} {{type}}{{/if~}}
  {{#if (eq action "drop")}}drop column {{ident name}}{{/if~}}
  {{#if (eq action "retype")}}alter column {{ident name}} type {{type}} using {{ident name}}::{{type}}{{/if~}}
  {{#unless @last}},{{/unless}}
{{/each}};
--;
{{/if}}
