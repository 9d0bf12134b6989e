{{!-- the run that backend $1 is running, if it is one of ours --}}
select run_id, command, started_at from meta.runs where pid = $1 and status = 'running'
order by run_id desc limit 1
