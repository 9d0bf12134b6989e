{{!-- For the columns that relationships tests point at ("watched"): how many of their values this build
      took away, in meta.key_removals, in the build's own transaction. A child's test that passed before
      may then check only the child's new rows, as long as no build of this parent removed a value since.
      mode=compare: the old relation against the one built beside it (tables).
      mode=candidates: the values of the rows this build deleted (collected in each field's temp table)
      that no row holds any more (incremental merges, snapshots).
      A first build has nothing to compare with: it records NULL (unknown). --}}
{{#each watched}}
insert into {{../meta}}.key_removals (node, run_id, field, removed)
{{#if (eq ../mode "compare")}}
select {{literal ../node}}, {{../run_id}}, {{literal name}}, count(*)
from (select {{quoted}} from {{../relation}} where {{quoted}} is not null
      except
      select {{quoted}} from {{../tmp_relation}}) as removed
{{else if (eq ../mode "candidates")}}
select {{literal ../node}}, {{../run_id}}, {{literal name}}, count(*)
from (select distinct value from {{ident temp}}) as candidate
where not exists (select 1 from {{../relation}} as kept where kept.{{quoted}} = candidate.value)
{{else}}
values ({{literal ../node}}, {{../run_id}}, {{literal name}}, null::bigint)
{{/if}}
on conflict (node, run_id, field) do update set removed = excluded.removed;
--;
{{/each}}
