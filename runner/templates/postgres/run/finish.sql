{{!-- $1: the run, $2: its status, $3: why it failed (or NULL) --}}
update meta.runs set status = $2, finished_at = clock_timestamp(), message = coalesce($3, message)
where run_id = $1
