{{!-- changed_since: the keys whose history the snapshot `snapshot` changed since this model last succeeded,
      each with `since`: the time from which its versions differ from what they were (-infinity: its whole
      history, as when its first version changed or it is new), as a subquery of (key, since); key of type
      `type` (default bigint). A row of a fact at or after `since` may fall in another version now; a row
      before it falls where it fell. --}}(select key::{{#if type}}{{type}}{{else}}bigint{{/if}} as key,
        case when bool_and(since is not null) then min(since::timestamp) else '-infinity' end as since
 from {{meta "snapshot_changes"}} where snapshot = '{{snapshot}}' and run_id > {{prev.run_id}}
 group by key)
