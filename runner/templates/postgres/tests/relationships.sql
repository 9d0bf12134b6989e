{{!-- Values of the column that have no match in the referenced relation (orphans).
      With scope, only the rows the run's merge wrote; the runner checks the parent lost no value.
      With still_failing, the values a check found before ($1, as text) that still are orphans: held by
      some row, missing from the referenced relation (see README, "Data tests"). --}}
{{#if still_failing}}
select distinct child.{{column}}::text as value
from {{relation}} as child
where child.{{column}} = any($1::text[]::{{value_type}}[])
  and not exists (select 1 from {{to_relation}} as parent where parent.{{field}} = child.{{column}})
{{else}}
select child.{{column}} as value, count(*) as occurrences
from {{relation}} as child
left join {{to_relation}} as parent on parent.{{field}} = child.{{column}}
where child.{{column}} is not null and parent.{{field}} is null
{{#if scope}}
  and {{> _changed alias="child"}}
{{/if}}
group by child.{{column}}
{{/if}}
