{{!-- $1: the runner's advisory lock key --}}
select pg_try_advisory_lock($1::bigint) as ok
