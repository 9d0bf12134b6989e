{{!-- the session holding the run lock: $1 and $2 are the key's low and high 32 bits, as pg_locks shows
      them; advisory locks are per database, so the same key held in another database is someone else's --}}
select a.pid, a.application_name, a.backend_start
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted
  and l.database = (select oid from pg_database where datname = current_database())
  and l.objid = $1::oid and l.classid = $2::oid
limit 1
