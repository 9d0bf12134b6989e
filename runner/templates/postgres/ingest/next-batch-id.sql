select nextval(pg_get_serial_sequence('meta.ingested_files', 'batch_id'))::text as id
