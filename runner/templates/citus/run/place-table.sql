{{!-- A table that exists, placed as the project says: its rows move to the workers (or to every node for a
      reference table), and the copy left on the coordinator goes. --}}
{{#if reference}}
select create_reference_table({{literal relation}});
{{else}}
select create_distributed_table({{literal relation}}, {{literal column}});
{{/if}}
{{#unless partitioned}}
select truncate_local_data_after_distributing_table({{literal relation}});
{{/unless}}
