{{!-- Batch ids only grow: incremental models read `_batch_id > ` the last batch they saw, so a batch id
      handed out twice would be a file they never read. A sequence restarted behind the ingested files
      (a restore that left it at 1, `truncate … restart identity`) moves up past the highest batch. --}}
select setval(s.seq, m.top)
from (select pg_get_serial_sequence('meta.ingested_files', 'batch_id') as seq) as s,
     (select max(batch_id) as top from meta.ingested_files) as m
where m.top is not null
  and m.top > (select coalesce(q.last_value, 0) from pg_sequences as q
               where format('%I.%I', q.schemaname, q.sequencename)::regclass = s.seq::regclass)
