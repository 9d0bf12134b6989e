{{!-- An incremental table on Citus. Distributed or a reference table: the model's rows land in a work
      table placed like the target (not a temporary table: that would live on the coordinator alone),
      then merge on unique_key with plain DELETE and INSERT … SELECT, no MERGE. Where the unique key holds
      the distribution column, every step runs shard by shard on the workers; where it doesn't (a sale
      keyed by sale_id on customer_id's shards, whose customer may change), the replaced rows are looked
      up by key on every shard. Every incoming row is written, also one the target holds as it is.
      Without a distribution the table stays on the coordinator and merges as
      on PostgreSQL. --}}
{{> work_tables}}
{{#if distributed}}
{{> local_execution}}
{{#if build_full}}
{{> table unique_index=unique_key work_tables=null}}
--;
{{> drop_work_tables}}
{{else}}
{{> schema_change}}
{{> fill table=src_relation}}
{{!-- the merge names the table's columns: the rejects' column can stay in the work table (dropping it
      is DDL on every shard) --}}
{{> rejects from=src_relation keep_column=true}}
{{#if unique_key}}
{{!-- every incoming row is rewritten: comparing rows as text (postgres/incremental.sql) needs casts that
      Citus refuses in a distributed DELETE (timestamp to text depends on the session's settings) --}}
{{#if key_holds_dist}}
delete from {{relation}} as target
using {{src_relation}} as incoming
where {{#each unique_key_quoted}}target.{{this}} = incoming.{{this}}{{#unless @last}} and {{/unless}}{{/each}};
{{else}}
delete from {{relation}} as target
where ({{join unique_key_quoted ", "}}) in (select {{join unique_key_quoted ", "}} from {{src_relation}});
{{/if}}
--;
{{/if}}
insert into {{relation}} ({{join columns ", "}})
select {{join columns ", "}} from {{src_relation}};
--; rows
{{#if written}}
{{!-- the keys of the rows this merge wrote, for the run's data tests (a table on the coordinator) --}}
drop table if exists {{written}};
--;
create unlogged table {{written}} as select distinct {{join unique_key_quoted ", "}} from {{src_relation}};
--;
{{/if}}
{{> drop_work_tables also=src_relation}}
{{/if}}
{{else}}
{{> postgres/incremental}}
--;
{{> drop_work_tables}}
{{/if}}
