{{!-- tables in schema $1 named like a part of this table's files ($2: a regular expression) that are no
      partition: a load committed them and was killed before its file's transaction attached them --}}
select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relkind = 'r' and not c.relispartition and c.relname ~ $2
