{{!-- a landed file: $1 batch, $2 source, $3 name, $4 sha256, $5 bytes, $6 rows, $7 rejected, $8 run, $9 mtime (ns) --}}
insert into meta.ingested_files (batch_id, source, file_name, sha256, bytes, rows, rejected, run_id, mtime_ns)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
