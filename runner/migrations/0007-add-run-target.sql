-- Where each run built: 'postgres', or 'citus' with its worker nodes (a run on a Citus coordinator is distributed).
alter table meta.runs add column if not exists target text;
alter table meta.runs add column if not exists workers int;
