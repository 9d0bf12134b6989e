{{!-- Rows whose column has no match in the referenced relation (orphans). --}}
select child.{{column}} as value, count(*) as occurrences
from {{relation}} as child
left join {{to_relation}} as parent on parent.{{field}} = child.{{column}}
where child.{{column}} is not null and parent.{{field}} is null
group by child.{{column}}
