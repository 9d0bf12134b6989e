{{!-- $1: every node's outcome as one JSON array, however many nodes: the server unpacks it --}}
insert into meta.node_runs (run_id, node, status, ms, rows, message, started_at, finished_at)
select run_id, node, status, ms, rows, message, started_at, finished_at
from jsonb_to_recordset($1::jsonb) as x(run_id bigint, node text, status text, ms int, rows bigint,
  message text, started_at timestamptz, finished_at timestamptz)
on conflict (run_id, node) do update set status = excluded.status, ms = excluded.ms, rows = excluded.rows,
  message = excluded.message, started_at = excluded.started_at, finished_at = excluded.finished_at
