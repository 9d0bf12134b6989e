{{!-- Values of the column that occur more than once. When a unique index on exactly this column (or
      the primary key) enforces it, the database has already checked: the one-time filter skips the scan.
      With scope, only the values of the rows the run's merge wrote (any duplicate involves one). --}}
select {{column}} as value, count(*) as occurrences
from {{relation}}
where {{column}} is not null
  and not exists (
    select 1 from pg_index as i
    join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = {{literal relation}}::regclass and i.indisunique and i.indpred is null and i.indexprs is null
      and i.indnkeyatts = 1 and a.attname = {{literal column_name}}
  )
{{#if scope}}
  and {{column}} in (select {{column}} from {{relation}} where {{> _changed}})
{{/if}}
group by {{column}}
having count(*) > 1
