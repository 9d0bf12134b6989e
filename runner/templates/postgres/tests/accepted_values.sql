{{!-- Values of the column outside the accepted list (NULL is allowed; add not_null to forbid it).
      With scope, only the rows the run's merge wrote (see README, "Data tests"). --}}
select {{column}} as value, count(*) as occurrences
from {{relation}}
where {{column}} is not null
  and {{column}}::text not in ({{#each values}}{{literal this}}{{#unless @last}}, {{/unless}}{{/each}})
{{#if scope}}
  and {{> _changed}}
{{/if}}
group by {{column}}
