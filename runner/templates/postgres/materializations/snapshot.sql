{{!--
  Slowly changing dimension type 2, for any model that returns events: (unique_key, updated_at, tracked
  columns, and other columns carried along: a version keeps those of the event that opened it). The history of a key is recomputed from all of its events, then reconciled with the rows
  already stored, so that the result depends only on the set of events (any batches, any order, any
  reruns) while a version that survives keeps its surrogate key:

    1. affected keys: keys with events from batches newer than this node's last success (with
       --full-refresh or without a batch column: every key in the events and in the table);
    2. their versions: events in time order, where an event opens a version only when a tracked column
       differs (IS DISTINCT FROM) from the version before it; a version ends where the next begins;
    3. reconcile: delete stored versions that no longer exist, update the end/current flag and columns of
       those that do, insert the new ones (the node's rows: versions deleted, updated and inserted).
       This order never lets two versions overlap at any moment, so
       the exclusion constraint and the unique index on current rows hold throughout.
  Without updated_at every run's rows are events at the run's time, and the stored versions stand in
  for the earlier events.
--}}
{{#unless exists}}
{{> snapshot_table}};
--;
{{> snapshot_keys primary_key=surrogate_key}}
{{else}}
{{> schema_change}}
{{/unless}}
{{#if unknown_member}}
insert into {{relation}} ({{surrogate_key}}, {{unique_key}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
overriding system value
select -1, -1, '1900-01-01', null, true
where not exists (select 1 from {{relation}} where {{surrogate_key}} = -1);
--;
{{/if}}
create temporary table {{ident events}} on commit drop as
with source as (
  select * from ({{sql}}) as src
){{#if incremental_keys}},
affected as (
  select distinct {{unique_key}} as key from source where {{batch_column}} > {{prev.batch_id}}
){{/if}}
select distinct on (key, at) {{unique_key}} as key, {{#if updated_at}}{{updated_at}}{{else}}{{run_time}}{{/if}} as at{{#each stored_cols}}, {{this}}{{/each}}
from source
where {{unique_key}} is not null{{#if updated_at}} and {{updated_at}} is not null{{/if}}
{{#if incremental_keys}}  and {{unique_key}} in (select key from affected){{/if}}
order by key, at, row({{join check_cols ", "}})::text desc;
--;
analyze {{ident events}};
--;
{{#unless updated_at}}
{{!-- stored versions of the affected keys stand for the events that made them; a column added in this
      run is unknown in them, so the current version takes the run's value: else every key would open a
      version for NULL turning into a value --}}
insert into {{ident events}}
select t.{{unique_key}}, t.{{valid_from}}{{#each stored}}, {{#if added}}case when t.{{../valid_to}} is null then (select e.{{quoted}} from {{ident ../events}} as e where e.key = t.{{../unique_key}} limit 1) end{{else}}t.{{quoted}}{{/if}}{{/each}}
from {{relation}} as t
where t.{{surrogate_key}} <> -1 and t.{{unique_key}} in (select key from {{ident events}})
  and t.{{valid_from}} < {{run_time}};
--;
{{/unless}}
create temporary table {{ident affected}} on commit drop as
select distinct key from {{ident events}}
{{#if updated_at}}{{#unless incremental_keys}}
union
{{!-- a full rebuild from events: a stored key without events has no history --}}
select {{unique_key}} from {{relation}} where {{surrogate_key}} <> -1
{{/unless}}{{/if}};
--;
create temporary table {{ident versions}} on commit drop as
with ordered as (
  select e.*,
         row_number() over by_time as n,
         lag(row({{#each check_cols}}e.{{this}}{{#unless @last}}, {{/unless}}{{/each}})) over by_time as before
  from {{ident events}} as e
  window by_time as (partition by e.key order by e.at)
),
starts as (
  select * from ordered
  where n = 1 or row({{#each check_cols}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is distinct from before
)
select key, at as valid_from, lead(at) over (partition by key order by at) as valid_to{{#each stored_cols}}, {{this}}{{/each}}
from starts;
--;
analyze {{ident versions}};
--;
{{#if incremental_keys}}
{{!-- from when each affected key's history differs from the stored one (`since`, kept in snapshot_changes
      for the models that read the snapshot): the earliest start of a version that is deleted, inserted or
      changes its columns, and for a version whose end alone moves, the earlier of its two ends; a row
      of a fact before that time falls in the version it fell in. The whole history (null) when the key's
      first version is deleted, inserted or changes its columns: a fact may give rows before the first
      version to it. A run that recomputes every key (the first, --full-refresh, no batch column) records
      the whole history of the keys it changed: comparing each key's versions would cost that run more
      than it saves the next. --}}
create temporary table {{ident since}} on commit drop as
with stored as (
  select t.{{unique_key}} as key, t.{{valid_from}} as valid_from, t.{{valid_to}} as valid_to,
         row({{#each stored_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) as cols,
         row_number() over (partition by t.{{unique_key}} order by t.{{valid_from}}) = 1 as first
  from {{relation}} as t
  where t.{{surrogate_key}} <> -1 and t.{{unique_key}} in (select key from {{ident affected}})
),
recomputed as (
  select v.key, v.valid_from, v.valid_to, row({{#each stored_cols}}v.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) as cols,
         row_number() over (partition by v.key order by v.valid_from) = 1 as first
  from {{ident versions}} as v
),
differences as (
  select coalesce(s.key, r.key) as key,
         case
           when s.key is null then case when r.first then null else r.valid_from end
           when r.key is null then case when s.first then null else s.valid_from end
           when s.cols is distinct from r.cols then case when s.first or r.first then null else s.valid_from end
           else least(s.valid_to, r.valid_to)
         end as since
  from stored as s
  full join recomputed as r on r.key = s.key and r.valid_from = s.valid_from
  where s.key is null or r.key is null or s.valid_to is distinct from r.valid_to or s.cols is distinct from r.cols
)
select key, case when bool_and(since is not null) then min(since) end as since
from differences
group by key;
--;
{{/if}}
create temporary table {{ident changed}} on commit drop as select {{unique_key}} as key from {{relation}} limit 0;
--;
{{#each watched}}
create temporary table {{ident temp}} on commit drop as select {{quoted}} as value from {{../relation}} limit 0;
--;
{{/each}}
with gone as (
  delete from {{relation}} as t
  where t.{{surrogate_key}} <> -1
    and t.{{unique_key}} in (select key from {{ident affected}})
    and not exists (select 1 from {{ident versions}} as v where v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}})
  returning t.*
){{#each watched}},
gone_{{@index}} as (insert into {{ident temp}} select {{quoted}} from gone where {{quoted}} is not null){{/each}}
insert into {{ident changed}} select {{unique_key}} from gone;
--; rows
with moved as (
  update {{relation}} as t
  set {{valid_to}} = v.valid_to, {{current_flag}} = (v.valid_to is null){{#each stored_cols}}, {{this}} = v.{{this}}{{/each}}
  from {{ident versions}} as v
  where v.key = t.{{unique_key}} and v.valid_from = t.{{valid_from}}
    and (t.{{valid_to}} is distinct from v.valid_to
         or row({{#each stored_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is distinct from row({{#each stored_cols}}v.{{this}}{{#unless @last}}, {{/unless}}{{/each}}))
  returning t.{{unique_key}} as key
)
insert into {{ident changed}} select key from moved;
--; rows
with added as (
  insert into {{relation}} ({{unique_key}}{{#each stored_cols}}, {{this}}{{/each}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
  select v.key{{#each stored_cols}}, v.{{this}}{{/each}}, v.valid_from, v.valid_to, v.valid_to is null
  from {{ident versions}} as v
  where not exists (select 1 from {{relation}} as t where t.{{unique_key}} = v.key and t.{{valid_from}} = v.valid_from)
  order by v.key, v.valid_from
  returning {{unique_key}} as key
)
insert into {{ident changed}} select key from added;
--; rows
{{#if hard_deletes_invalidate}}
{{!-- keys missing from a full extract: their current version ends now (new_record: and a deleted marker opens) --}}
with missing as (
  update {{relation}} as t set {{valid_to}} = {{run_time}}, {{current_flag}} = false
  where t.{{current_flag}} and t.{{surrogate_key}} <> -1 and t.{{valid_from}} < {{run_time}}
    and not exists (select 1 from ({{sql}}) as src where src.{{unique_key}} = t.{{unique_key}})
{{#if hard_deletes_new_record}}
    and not (row({{#each check_cols}}t.{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is null)
{{/if}}
  returning t.{{unique_key}} as key
)
insert into {{ident changed}} select key from missing;
--;
{{#if hard_deletes_new_record}}
insert into {{relation}} ({{unique_key}}, {{valid_from}}, {{valid_to}}, {{current_flag}})
select distinct t.{{unique_key}}, {{run_time}}, null::timestamp, true
from {{relation}} as t
where t.{{valid_to}} = {{run_time}} and t.{{unique_key}} in (select key from {{ident changed}})
  and not exists (select 1 from {{relation}} as cur where cur.{{unique_key}} = t.{{unique_key}} and cur.{{current_flag}});
--;
{{/if}}
{{/if}}
{{#if exists}}{{> key_removals mode="candidates"}}{{else}}{{> key_removals mode="unknown"}}{{/if}}
{{!-- a key changed otherwise (hard deletes) has no since: its whole history --}}
insert into {{meta}}.snapshot_changes (snapshot, key, run_id, since)
select {{literal node}}, c.key::text, {{run_id}}, {{#if incremental_keys}}s.since::text{{else}}null{{/if}}
from (select distinct key from {{ident changed}}) as c
{{#if incremental_keys}}left join {{ident since}} as s on s.key = c.key{{/if}};
{{#if written}}
--;
{{!-- the keys whose versions this run wrote, for the run's data tests --}}
drop table if exists {{written}};
--;
create unlogged table {{written}} as select distinct key as {{unique_key}} from {{ident changed}};
{{/if}}
{{#unless incremental_keys}}
--;
analyze {{relation}};
{{else}}
--;
{{!-- a merge leaves statistics to autovacuum, unless the table has none yet (made empty by a migration,
      then filled by its first merge) or the merge changed a tenth of its keys or more: without them the
      planner guesses, and a data test probing the table per row takes seconds instead of milliseconds --}}
do $$
begin
  if not exists (select from pg_stats where schemaname = {{literal schema}} and tablename = {{literal alias}})
     or (select count(*) from {{ident changed}}) * 10 > (select greatest(reltuples, 0) from pg_class where oid = {{literal relation}}::regclass) then
    analyze {{relation}};
  end if;
end
$$;
{{/unless}}
