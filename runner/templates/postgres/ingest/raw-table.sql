{{!-- A raw table: every declared column as text, then the lineage. Partitioned by _batch_id, every file a
      partition of its own in `batch_schema` (list partitions: `_batch_id > n` reads exactly the batches
      after n; range bounds would take in batch n too). --}}
create schema if not exists {{ident schema}};
create schema if not exists {{ident batch_schema}};
create table if not exists {{relation}} (
  {{#each columns}}{{ident this}} text,
  {{/each}}_file text not null,
  _line bigint not null,
  _batch_id bigint not null,
  _loaded_at timestamptz not null default now()
) partition by list (_batch_id)
