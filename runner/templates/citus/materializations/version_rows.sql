{{!-- The versions of the events in `events` (key, at, columns): in time order per key, an event opens a
      version when a tracked column differs (IS DISTINCT FROM) from the version before it; a version
      ends where the next one begins. As in postgres/snapshot.sql, which keeps its text whole: a project
      may copy that file to change it. --}}
with ordered as (
  select e.*,
         row_number() over by_time as n,
         lag(row({{#each check_cols}}e.{{this}}{{#unless @last}}, {{/unless}}{{/each}})) over by_time as before
  from {{events}} as e
  window by_time as (partition by e.key order by e.at)
),
starts as (
  select * from ordered
  where n = 1 or row({{#each check_cols}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}) is distinct from before
)
select key, at as valid_from, lead(at) over (partition by key order by at) as valid_to{{#each stored_cols}}, {{this}}{{/each}}
from starts
