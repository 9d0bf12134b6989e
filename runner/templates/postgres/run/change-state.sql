{{!-- what tells whether anything a node reads changed since its last success: each node's state, the last
      run that landed a file of each source, when each seed was last loaded, and the models with a data
      test that failed last time (a build may repair them) --}}
select 'node' as kind, node as name, run_id, coalesce(changed_run_id, run_id) as changed_run_id, definition, updated_at
from meta.node_state
union all
select 'source', source, max(run_id), null::bigint, null::text, null::timestamptz from meta.ingested_files group by source
union all
select 'seed', name, null::bigint, null::bigint, null::text, loaded_at from meta.seeds
union all
select distinct 'failing', model, null::bigint, null::bigint, null::text, null::timestamptz from meta.test_state where status = 'fail'
