{{!-- what an upstream snapshot changed in this run, as the snapshot itself records it: the keys of the
      versions given for it ($1). changed_keys reads them. --}}
insert into {{meta}}.snapshot_changes (snapshot, key, run_id)
select distinct {{literal snapshot}}, given.{{key}}::text, {{run_id}}
from json_populate_recordset(null::{{relation}}, $1::json) as given
where given.{{key}} is not null
