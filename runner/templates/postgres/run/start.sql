{{!-- $1: the command, $2: its arguments (JSON), $3: the target ('postgres' or 'citus'), $4: Citus' worker nodes --}}
insert into meta.runs (command, args, target, workers) values ($1, $2, $3, $4) returning run_id
