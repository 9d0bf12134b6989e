-- The runner's bookkeeping: its runs, each node's outcome in each run, the landed files.
create schema if not exists meta;
create table if not exists meta.runs (
  run_id      bigserial primary key,
  command     text not null,
  args        text,
  status      text not null default 'running',
  started_at  timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  pid         int default pg_backend_pid(),
  message     text
);
create table if not exists meta.node_runs (
  run_id      bigint not null,
  node        text not null,
  status      text not null,
  started_at  timestamptz,
  finished_at timestamptz not null default clock_timestamp(),
  ms          int,
  rows        bigint,
  message     text,
  primary key (run_id, node)
);
create table if not exists meta.ingested_files (
  batch_id    bigserial primary key,
  source      text not null,
  file_name   text not null unique,
  sha256      text not null,
  bytes       bigint,
  rows        bigint,
  rejected    bigint,
  run_id      bigint,
  loaded_at   timestamptz not null default clock_timestamp()
);
