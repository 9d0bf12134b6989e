{{!-- a landing file touched, not changed: $1 its new modification time (ns), $2 its name --}}
update meta.ingested_files set mtime_ns = $1 where file_name = $2
