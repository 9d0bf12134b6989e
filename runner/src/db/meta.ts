import { createHash } from 'node:crypto';
import type { Sql } from './connection.js';

/**
 * The runner's own bookkeeping, created by the runner itself (not by the project's migrations) so that
 * any project directory works. Idempotent; one round trip.
 */
export const metaDdl = `
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
-- the last run in which each incremental model or snapshot succeeded: its watermark
create table if not exists meta.node_state (
  node        text primary key,
  run_id      bigint not null,
  updated_at  timestamptz not null default now()
);
-- databases from before node_state kept the watermark in node_runs: carry it over once
insert into meta.node_state (node, run_id)
select node, max(run_id) from meta.node_runs
where status = 'success' and not exists (select 1 from meta.node_state)
group by node;
create table if not exists meta.snapshot_changes (
  snapshot    text not null,
  key         text not null,
  run_id      bigint not null
);
create index if not exists snapshot_changes_run on meta.snapshot_changes (snapshot, run_id);
-- a landing file's modification time when it was ingested: unchanged size and time need no re-hash
alter table meta.ingested_files add column if not exists mtime_ns bigint;
-- the last outcome of each data test: a test that passed may next check only the rows a run wrote
create table if not exists meta.test_state (
  test        text primary key,
  model       text not null,
  status      text not null,
  run_id      bigint not null,
  scope       text not null,
  -- relationships: the failing values (as text); NULL when not known (too many, or another kind failing)
  failing     text[],
  updated_at  timestamptz not null default now()
);
-- what each build of a relation that relationships tests point at did to the referenced columns:
-- removed = how many values it took away (NULL: unknown). Written in the build's own transaction.
create table if not exists meta.key_removals (
  node        text not null,
  run_id      bigint not null,
  field       text not null,
  removed     bigint,
  primary key (node, run_id, field)
);
`;

/** Marks the schema with the DDL it was last brought to, so that an up-to-date database needs one query. */
const metaVersion = `sadp meta ${createHash('sha256').update(metaDdl).digest('hex').slice(0, 16)}`;

export async function ensureMeta(sql: Sql): Promise<void> {
  // a concurrent first run may race on "create ... if not exists"; the advisory lock is taken before this
  const [row] = await sql`select obj_description(oid, 'pg_namespace') as version from pg_namespace where nspname = 'meta'`;
  if (row?.version === metaVersion) return;
  await sql.unsafe(`${metaDdl};\ncomment on schema meta is '${metaVersion}'`);
}
