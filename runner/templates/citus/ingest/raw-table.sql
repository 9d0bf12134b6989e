{{!-- A raw table on Citus: as on PostgreSQL (postgres/ingest/raw-table.sql), then placed as its source
      says (distributed_by: a big file's COPY spreads over the workers; distribution: reference). --}}
{{> postgres/raw-table}};
{{#if dist_column}}
select create_distributed_table({{literal relation}}, {{literal dist_column}});
{{else if reference}}
select create_reference_table({{literal relation}});
{{/if}}
