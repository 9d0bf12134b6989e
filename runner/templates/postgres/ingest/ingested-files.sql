select file_name, sha256, bytes::text as bytes, mtime_ns::text as mtime_ns from meta.ingested_files
