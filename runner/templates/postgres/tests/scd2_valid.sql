{{!-- Slowly changing dimension type 2 validity: every key has exactly one current row, current means
      "no end", versions do not overlap, and each version ends where the next one starts (no gaps).
      With scope, only the keys whose versions the run wrote. --}}
with versions as (
  select {{unique_key}} as key, {{valid_from}} as valid_from, {{valid_to}} as valid_to, {{current_flag}} as is_current,
         lead({{valid_from}}) over (partition by {{unique_key}} order by {{valid_from}}) as next_from
  from {{relation}}
  where true
  {{#if where}}and ({{where}}){{/if}}
  {{#if scope}}
  and {{unique_key}} in (select {{unique_key}} from {{relation}} where {{> _changed}})
  {{/if}}
),
problems as (
  select key, 'current flag disagrees with the end date' as problem from versions
  where is_current is distinct from (valid_to is null)
  union all
  select key, 'not exactly one current version' from versions group by key having count(*) filter (where is_current) <> 1
  union all
  select key, 'version ends before it starts' from versions where valid_to <= valid_from
  union all
  select key, 'gap or overlap with the next version' from versions
  where next_from is not null and valid_to is distinct from next_from
)
select * from problems
