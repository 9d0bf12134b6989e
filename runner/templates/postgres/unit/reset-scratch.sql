{{!-- after a test: its relations go, the bookkeeping stand-ins are emptied --}}
{{#each tables}}
drop table if exists {{this}} cascade;
{{/each}}
{{#each views}}
drop view if exists {{this}} cascade;
{{/each}}
truncate pg_temp.snapshot_changes, pg_temp.key_removals{{#if rejects}}, pg_temp.rejected_rows{{/if}};
