{{!-- how many customers the snapshot versioned in run $1 --}}
select count(distinct key)::int as n from meta.snapshot_changes where run_id = $1
