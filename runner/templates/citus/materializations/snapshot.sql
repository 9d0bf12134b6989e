{{!--
  Slowly changing dimension type 2 on Citus: the rules and steps of postgres/snapshot.sql (affected keys,
  their versions recomputed from all of their events, then reconciled with the stored rows so that a
  surviving version keeps its surrogate key). The table is distributed on its unique key; each step's
  rows go to a work table distributed on the key beside it, so that every step runs shard by shard on
  the workers, and the reconcile writes no data-modifying CTEs (a distributed query can't run them):
  each change first notes its keys, then changes the rows. New versions take their surrogate keys from
  the table's identity, which Citus draws on the coordinator: those rows pass through it. Without a
  distribution the table stays on the coordinator and is built as on PostgreSQL.
--}}
{{> work_tables}}
{{#if distributed}}
{{#unless exists}}
{{!-- a unique constraint of a distributed table holds the distribution column (the key); the identity
      comes before the table is placed (Citus can't add one after) --}}
{{> snapshot_table}};
--;
{{> snapshot_keys primary_key=key_and_surrogate}}
{{> distribute table=relation}};
--;
{{else}}
{{> schema_change}}
{{/unless}}
{{#if unknown_member}}
insert into {{relation}} ({{surrogate_key}}, {{unique_key}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
overriding system value
values (-1, -1, '1900-01-01', null, true)
on conflict do nothing;
--;
{{/if}}
create table {{events_table}} as
select src.{{unique_key}} as key, {{#if updated_at}}src.{{updated_at}}{{else}}{{run_time}}{{/if}} as at{{#each stored_cols}}, src.{{this}}{{/each}}
from ({{sql}}) as src
limit 0;
--;
{{> distribute_work table=events_table}};
--;
insert into {{events_table}}
select distinct on (key, at) src.{{unique_key}} as key, {{#if updated_at}}src.{{updated_at}}{{else}}{{run_time}}{{/if}} as at{{#each stored_cols}}, src.{{this}}{{/each}}
from ({{sql}}) as src
where src.{{unique_key}} is not null{{#if updated_at}} and src.{{updated_at}} is not null{{/if}}
{{#if incremental_keys}}
  and src.{{unique_key}} in (select recent.{{unique_key}} from ({{sql}}) as recent where recent.{{batch_column}} > {{prev.batch_id}})
{{/if}}
order by key, at, row({{#each check_cols}}src.{{this}}{{#unless @last}}, {{/unless}}{{/each}})::text desc;
--;
{{#unless updated_at}}
{{!-- stored versions of the affected keys stand for the events that made them (an added column: see
      postgres/snapshot.sql) --}}
insert into {{events_table}}
select t.{{unique_key}}, t.{{valid_from}}{{#each stored}}, {{#if added}}case when t.{{../valid_to}} is null then (select e.{{quoted}} from {{../events_table}} as e where e.key = t.{{../unique_key}} limit 1) end{{else}}t.{{quoted}}{{/if}}{{/each}}
from {{relation}} as t
where t.{{surrogate_key}} <> -1 and t.{{unique_key}} in (select key from {{events_table}})
  and t.{{valid_from}} < {{run_time}};
--;
{{/unless}}
create table {{affected_table}} as select key from {{events_table}} limit 0;
--;
{{> distribute_work table=affected_table}};
--;
insert into {{affected_table}}
select distinct key from {{events_table}}
{{#if updated_at}}{{#unless incremental_keys}}
union
{{!-- a full rebuild from events: a stored key without events has no history --}}
select {{unique_key}} from {{relation}} where {{surrogate_key}} <> -1
{{/unless}}{{/if}};
--;
create table {{versions_table}} as
select key, at as valid_from, at as valid_to{{#each stored_cols}}, {{this}}{{/each}} from {{events_table}} limit 0;
--;
{{> distribute_work table=versions_table}};
--;
insert into {{versions_table}}
{{> version_rows events=events_table}};
--;
create table {{changed_table}} as select key from {{events_table}} limit 0;
--;
{{> distribute_work table=changed_table}};
--;
{{!-- versions that no longer exist --}}
insert into {{changed_table}}
select t.{{unique_key}} from {{relation}} as t
where t.{{surrogate_key}} <> -1
  and t.{{unique_key}} in (select key from {{affected_table}})
  and not exists (select 1 from {{versions_table}} as v where v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}});
--;
delete from {{relation}} as t
where t.{{surrogate_key}} <> -1
  and t.{{unique_key}} in (select key from {{affected_table}})
  and not exists (select 1 from {{versions_table}} as v where v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}});
--; rows
{{!-- versions that survive with another end or other values --}}
insert into {{changed_table}}
select t.{{unique_key}} from {{relation}} as t
join {{versions_table}} as v on v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}}
where t.{{valid_to}} is distinct from v.valid_to
   or row({{#each stored_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is distinct from row({{#each stored_cols}}v.{{this}}{{#unless @last}}, {{/unless}}{{/each}});
--;
update {{relation}} as t
set {{valid_to}} = v.valid_to, {{current_flag}} = (v.valid_to is null){{#each stored_cols}}, {{this}} = v.{{this}}{{/each}}
from {{versions_table}} as v
where v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}}
  and (t.{{valid_to}} is distinct from v.valid_to
       or row({{#each stored_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is distinct from row({{#each stored_cols}}v.{{this}}{{#unless @last}}, {{/unless}}{{/each}}));
--; rows
{{!-- new versions --}}
insert into {{changed_table}}
select v.key from {{versions_table}} as v
where not exists (select 1 from {{relation}} as t where t.{{unique_key}} = v.key and t.{{valid_from}} = v.valid_from);
--;
insert into {{relation}} ({{unique_key}}{{#each stored_cols}}, {{this}}{{/each}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
select v.key{{#each stored_cols}}, v.{{this}}{{/each}}, v.valid_from, v.valid_to, v.valid_to is null
from {{versions_table}} as v
where not exists (select 1 from {{relation}} as t where t.{{unique_key}} = v.key and t.{{valid_from}} = v.valid_from);
--; rows
{{#if hard_deletes_invalidate}}
{{!-- keys missing from a full extract: their current version ends now (new_record: and a deleted marker opens) --}}
create table {{present_table}} as select key from {{events_table}} limit 0;
--;
{{> distribute_work table=present_table}};
--;
insert into {{present_table}} select src.{{unique_key}} from ({{sql}}) as src where src.{{unique_key}} is not null group by src.{{unique_key}};
--;
insert into {{changed_table}}
select t.{{unique_key}} from {{relation}} as t
where t.{{current_flag}} and t.{{surrogate_key}} <> -1 and t.{{valid_from}} < {{run_time}}
  and not exists (select 1 from {{present_table}} as p where p.key = t.{{unique_key}})
{{#if hard_deletes_new_record}}
  and not (row({{#each check_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is null)
{{/if}};
--;
update {{relation}} as t set {{valid_to}} = {{run_time}}, {{current_flag}} = false
where t.{{current_flag}} and t.{{surrogate_key}} <> -1 and t.{{valid_from}} < {{run_time}}
  and not exists (select 1 from {{present_table}} as p where p.key = t.{{unique_key}})
{{#if hard_deletes_new_record}}
  and not (row({{#each check_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is null)
{{/if}};
--;
{{#if hard_deletes_new_record}}
insert into {{relation}} ({{unique_key}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
select distinct t.{{unique_key}}, {{run_time}}, null::timestamp, true
from {{relation}} as t
where t.{{valid_to}} = {{run_time}} and t.{{unique_key}} in (select key from {{changed_table}})
  and not exists (select 1 from {{relation}} as cur where cur.{{unique_key}} = t.{{unique_key}} and cur.{{current_flag}});
--;
{{/if}}
drop table {{present_table}};
--;
{{/if}}
insert into meta.snapshot_changes (snapshot, key, run_id)
select distinct {{literal node}}, key::text, {{run_id}} from {{changed_table}};
--;
{{#if written}}
{{!-- the keys whose versions this run wrote, for the run's data tests (a table on the coordinator) --}}
drop table if exists {{written}};
--;
create unlogged table {{written}} as select distinct key as {{unique_key}} from {{changed_table}};
--;
{{/if}}
{{> drop_work_tables also=step_tables}}
{{#unless incremental_keys}}
--;
analyze {{relation}};
{{/unless}}
{{else}}
{{> postgres/snapshot}}
--;
{{> drop_work_tables}}
{{/if}}
