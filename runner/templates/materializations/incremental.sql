{{!-- An incremental table: the model's SELECT (with its is_incremental filter) is merged on unique_key:
      rows whose key is already present are replaced, new keys are appended. The first build and
      --full-refresh build the whole table like the `table` materialization, with a unique index on
      the key so that merges find their rows fast. --}}
{{#if build_full}}
{{> table}}
{{#if unique_key}}
--;
create unique index on {{relation}} ({{join unique_key_quoted ", "}});
{{/if}}
{{else}}
create temporary table {{ident tmp_name}} on commit drop as
{{sql}};
--;
{{#if unique_key}}
delete from {{relation}} as target
using {{ident tmp_name}} as incoming
where {{#each unique_key_quoted}}target.{{this}} = incoming.{{this}}{{#unless @last}} and {{/unless}}{{/each}};
--;
{{/if}}
insert into {{relation}} ({{join columns ", "}})
select {{join columns ", "}} from {{ident tmp_name}};
--; rows
analyze {{relation}};
{{/if}}
