{{!-- the relations the temporary view of a model's SELECT (inputs-view.sql) reads, through the views it
      reads to what they read --}}
with recursive reads(oid) as (
  select d.refobjid from pg_depend as d join pg_rewrite as r on r.oid = d.objid
  where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
    and r.ev_class = 'pg_temp.sadp_inputs'::regclass and d.refobjid <> r.ev_class
  union
  select d.refobjid from reads
  join pg_class as v on v.oid = reads.oid and v.relkind = 'v'
  join pg_rewrite as r on r.ev_class = v.oid
  join pg_depend as d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
  where d.refobjid <> v.oid
)
select distinct n.nspname as schema, c.relname as name
from reads join pg_class as c on c.oid = reads.oid join pg_namespace as n on n.oid = c.relnamespace
