{{!-- An incremental table: the model's SELECT (with its is_incremental filter) lands in a temporary
      table, then is merged on unique_key: rows whose key is present are replaced, new keys appended.
      The first build and --full-refresh build the whole table like `table`, with a unique index on the
      key so that later merges find their rows fast. Rejects: see rejects.sql. --}}
{{#if build_full}}
{{> table unique_index=unique_key}}
{{else}}
{{> schema_change}}
create temporary table {{ident src_name}} on commit drop as
{{sql}};
--;
{{!-- a temporary table has no statistics until analyzed: without them the merge below may scan the
      whole target instead of probing its key index (the key columns are what the merge joins on) --}}
analyze {{ident src_name}}{{#if unique_key}} ({{join unique_key_quoted ", "}}){{/if}};
--;
{{> rejects from=(ident src_name)}}
{{#if unique_key}}
{{!-- incoming rows that the target already holds exactly as they are (compared as text, which every
      type has) need no rewrite: leaving them spares their index entries and keeps them out of the
      rows this run wrote, which is what the data tests then check --}}
{{#if columns}}
delete from {{ident src_name}} as incoming
using {{relation}} as target
where {{#each unique_key_quoted}}target.{{this}} = incoming.{{this}} and {{/each}}({{#each columns}}incoming.{{this}}::text{{#unless @last}}, {{/unless}}{{/each}})
  is not distinct from ({{#each columns}}target.{{this}}::text{{#unless @last}}, {{/unless}}{{/each}});
--;
{{/if}}
{{#each watched}}
{{!-- the referenced values of the rows the merge replaces: some may not come back --}}
create temporary table {{ident temp}} on commit drop as
select distinct target.{{quoted}} as value
from {{../relation}} as target
join {{ident ../src_name}} as incoming
  on {{#each ../unique_key_quoted}}target.{{this}} = incoming.{{this}}{{#unless @last}} and {{/unless}}{{/each}}
where target.{{quoted}} is not null;
--;
{{/each}}
delete from {{relation}} as target
using {{ident src_name}} as incoming
where {{#each unique_key_quoted}}target.{{this}} = incoming.{{this}}{{#unless @last}} and {{/unless}}{{/each}};
--;
{{/if}}
insert into {{relation}} ({{join columns ", "}})
select {{join columns ", "}} from {{ident src_name}};
--; rows
{{#if written}}
{{!-- the keys of the rows this merge wrote, for the run's data tests --}}
drop table if exists {{written}};
--;
create unlogged table {{written}} as select distinct {{join unique_key_quoted ", "}} from {{ident src_name}};
--;
{{/if}}
{{#if unique_key}}
{{> key_removals mode="candidates"}}
{{else}}
{{!-- without a key nothing is replaced: values only come in --}}
{{#each watched}}
insert into {{../meta}}.key_removals (node, run_id, field, removed) values ({{literal ../node}}, {{../run_id}}, {{literal name}}, 0)
on conflict (node, run_id, field) do update set removed = excluded.removed;
--;
{{/each}}
{{/if}}
{{!-- no analyze of the whole target for a small merge: autovacuum re-analyzes once enough changed --}}
{{/if}}
