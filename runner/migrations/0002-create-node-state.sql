-- The last run in which each incremental model or snapshot succeeded: its watermark.
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
-- which keys a snapshot changed in which run: the models that read it re-point those
create table if not exists meta.snapshot_changes (
  snapshot    text not null,
  key         text not null,
  run_id      bigint not null
);
create index if not exists snapshot_changes_run on meta.snapshot_changes (snapshot, run_id);
