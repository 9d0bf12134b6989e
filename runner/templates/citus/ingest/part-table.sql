{{!-- A file's partition (or a part of it) on Citus: as on PostgreSQL (postgres/ingest/part-table.sql),
      then placed like its raw table before its COPY, so that the rows go straight to the workers and the
      ATTACH finds the partition where the table's shards are. --}}
{{> postgres/part-table}};
{{#if dist_column}}
select create_distributed_table({{literal part}}, {{literal dist_column}}, colocate_with => {{literal relation}})
{{else if reference}}
select create_reference_table({{literal part}})
{{/if}}
