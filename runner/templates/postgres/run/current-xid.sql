{{!-- the id of this transaction as rows' xmin shows it: the run's data tests may check just these rows --}}
select (pg_current_xact_id()::text::bigint % 4294967296)::text as xid
