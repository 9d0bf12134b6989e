{{!-- the coordinator holds a copy of a reference table: writing it there first, then on the workers in
      parallel, is refused in one transaction --}}
{{#if reference}}
set local citus.enable_local_execution to off;
--;
{{/if}}
