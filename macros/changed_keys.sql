{{!-- changed_keys: the keys whose history the snapshot `snapshot` changed since this model last succeeded
      (all keys when it never did), as a subquery of type `type` (default bigint). --}}(select key::{{#if type}}{{type}}{{else}}bigint{{/if}} from {{meta "snapshot_changes"}} where snapshot = '{{snapshot}}' and run_id > {{prev.run_id}})
