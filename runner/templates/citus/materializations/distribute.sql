{{!-- Places the new, empty table `table` as the model's config says: hash-distributed on its distribution
      column (beside `colocate_with`, the table it replaces or merges into, when there is one; else with
      the tables distributed on a column of the same type), or as a reference table (a copy on every
      node, for small tables that every shard joins). --}}
{{#if reference}}
select create_reference_table({{literal table}})
{{else}}
select create_distributed_table({{literal table}}, {{literal dist_column_name}}{{#if colocate_with}}, colocate_with => {{literal colocate_with}}{{/if}})
{{/if}}
