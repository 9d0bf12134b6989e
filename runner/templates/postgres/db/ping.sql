{{!-- the first query of a connection; it also tells whether the database has the citus extension (see target.ts) --}}
select exists (select from pg_extension where extname = 'citus') as citus
