{{!-- $1: the command, $2: its arguments (JSON) --}}
insert into meta.runs (command, args) values ($1, $2) returning run_id
