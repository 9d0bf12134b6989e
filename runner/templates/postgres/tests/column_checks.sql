{{!-- The column tests of one model in a single scan of its table. Each count is what the test's own
      template would count: failing rows for not_null, failing distinct values for accepted_values and
      relationships. For relationships, failing_<i> holds the failing values too (as text, at most
      keep_values of them), for the next run.
      Every row: a parent's keys are read once, as a distinct set, and joined.
      With scope, only the rows the run's merge wrote (see README, "Data tests"): they are read once
      into a CTE, and each relationship looks their values up in its parent: with hash_parent (a parent
      of up to a few million rows) in a hash of the parent's keys built once (NOT IN over a hashed
      subplan), otherwise in an anti join the planner picks. --}}
{{#if scope}}
with changed as materialized (
  select * from {{relation}} as child where {{> _changed alias="child"}}
){{#each checks}}{{#if (eq kind "relationships")}},
orphans_{{@index}} as (
  select distinct child.{{column}} as v from changed as child
  where child.{{column}} is not null
{{#if hash_parent}}
    and child.{{column}} not in (select parent.{{field}} from {{to_relation}} as parent where parent.{{field}} is not null)
{{else}}
    and not exists (select 1 from {{to_relation}} as parent where parent.{{field}} = child.{{column}})
{{/if}}
){{/if}}{{/each}}
select
{{#each checks}}
  {{#if (eq kind "not_null")}}(select count(*) from changed as child where child.{{column}} is null){{/if}}
  {{#if (eq kind "accepted_values")}}(select count(distinct child.{{column}}) from changed as child where child.{{column}} is not null
    and child.{{column}}::text not in ({{#each values}}{{literal this}}{{#unless @last}}, {{/unless}}{{/each}})){{/if}}
  {{#if (eq kind "relationships")}}(select count(*) from orphans_{{@index}}){{/if}}
  ::int as check_{{@index}}{{#if (eq kind "relationships")}},
  (select (array_agg(v::text))[1:{{../keep_values}}] from orphans_{{@index}}) as failing_{{@index}}{{/if}}{{#unless @last}},{{/unless}}
{{/each}}
{{else}}
select
{{#each checks}}
  {{#if (eq kind "not_null")}}count(*) filter (where child.{{column}} is null){{/if}}
  {{#if (eq kind "accepted_values")}}count(distinct child.{{column}}) filter (where child.{{column}} is not null
    and child.{{column}}::text not in ({{#each values}}{{literal this}}{{#unless @last}}, {{/unless}}{{/each}})){{/if}}
  {{#if (eq kind "relationships")}}count(distinct child.{{column}}) filter (where child.{{column}} is not null and parent_{{@index}}.k is null){{/if}}
  ::int as check_{{@index}}{{#if (eq kind "relationships")}},
  (array_agg(distinct child.{{column}}::text) filter (where child.{{column}} is not null and parent_{{@index}}.k is null))[1:{{../keep_values}}]
    as failing_{{@index}}{{/if}}{{#unless @last}},{{/unless}}
{{/each}}
from {{relation}} as child
{{#each checks}}
{{#if (eq kind "relationships")}}
left join (select distinct {{field}} as k from {{to_relation}}) as parent_{{@index}} on parent_{{@index}}.k = child.{{column}}
{{/if}}
{{/each}}
{{/if}}
