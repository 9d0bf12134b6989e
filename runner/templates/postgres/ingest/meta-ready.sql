select to_regclass('meta.ingested_files') is not null as exists
