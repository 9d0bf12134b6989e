{{!-- the watermark of each node: the run in which it last succeeded, and the last batch landed by then --}}
select state.node, state.run_id,
  coalesce((select max(batch_id) from meta.ingested_files f where f.run_id <= state.run_id), 0) as batch_id
from meta.node_state as state
