{{!-- Values of the column outside the accepted list (NULL is allowed; add not_null to forbid it). --}}
select {{column}} as value, count(*) as occurrences
from {{relation}}
where {{column}} is not null
  and {{column}}::text not in ({{#each values}}{{literal this}}{{#unless @last}}, {{/unless}}{{/each}})
group by {{column}}
