{{!-- Rows whose column has no match in the referenced relation (orphans).
      With scope_xid, only the rows the run's merge wrote; the runner checks the parent lost no value. --}}
select child.{{column}} as value, count(*) as occurrences
from {{relation}} as child
left join {{to_relation}} as parent on parent.{{field}} = child.{{column}}
where child.{{column}} is not null and parent.{{field}} is null
{{#if scope_xid}}
  and child.xmin = {{literal scope_xid}}::xid
{{/if}}
group by child.{{column}}
