{{!-- ends the other sessions on database $1 (autovacuum among them) so it can serve as a template --}}
select count(pg_terminate_backend(pid))::int as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()
