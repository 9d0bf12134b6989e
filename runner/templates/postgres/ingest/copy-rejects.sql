copy staging.rejected_rows (source, file, line, reason, stage, batch_id, record) from stdin with (format csv)
