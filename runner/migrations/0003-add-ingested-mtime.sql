-- A landing file's modification time when it was ingested: unchanged size and time need no new hash.
alter table meta.ingested_files add column if not exists mtime_ns bigint;
