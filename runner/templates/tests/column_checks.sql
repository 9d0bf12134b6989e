{{!-- The column tests of one model in a single scan of its table. Each count is what the test's own
      template would count: failing rows for not_null, failing distinct values for accepted_values and
      relationships (a parent's keys are read once, as a distinct set).
      With scope_xid, only the rows the run's merge wrote (see README, "Data tests"). --}}
select
{{#each checks}}
  {{#if (eq kind "not_null")}}count(*) filter (where child.{{column}} is null){{/if}}
  {{#if (eq kind "accepted_values")}}count(distinct child.{{column}}) filter (where child.{{column}} is not null
    and child.{{column}}::text not in ({{#each values}}{{literal this}}{{#unless @last}}, {{/unless}}{{/each}})){{/if}}
  {{#if (eq kind "relationships")}}count(distinct child.{{column}}) filter (where child.{{column}} is not null and parent_{{@index}}.k is null){{/if}}
  ::int as check_{{@index}}{{#unless @last}},{{/unless}}
{{/each}}
from {{relation}} as child
{{#each checks}}
{{#if (eq kind "relationships")}}
left join (select distinct {{field}} as k from {{to_relation}}) as parent_{{@index}} on parent_{{@index}}.k = child.{{column}}
{{/if}}
{{/each}}
{{#if scope_xid}}
where child.xmin = {{literal scope_xid}}::xid
{{/if}}
