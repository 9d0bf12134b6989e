{{!-- a snapshot's work table `table` (its rows keyed by `key`), on the shards of the snapshot's keys --}}
{{#if reference}}
select create_reference_table({{literal table}})
{{else}}
select create_distributed_table({{literal table}}, 'key', colocate_with => {{literal relation}})
{{/if}}
