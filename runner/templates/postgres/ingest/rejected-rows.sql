{{!-- Records that could not be loaded (ingest: malformed CSV) or typed (staging: failed validation). --}}
create schema if not exists staging;
create table if not exists staging.rejected_rows (
  source      text not null,
  file        text not null,
  line        bigint,
  reason      text not null,
  stage       text not null default 'ingest',
  batch_id    bigint,
  record      text,
  rejected_at timestamptz not null default now()
)
