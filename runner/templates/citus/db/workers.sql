{{!-- the coordinator's active worker nodes: with none, Citus keeps every table on the coordinator --}}
select count(*)::int as workers from citus_get_active_worker_nodes()
