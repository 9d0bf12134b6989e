{{!-- A view: replaced in place so that views built on top of it keep working. When its columns change
      (create or replace cannot drop or rename columns) the runner asks again with `recreate`.
      A view is only its definition, rebuilt on every run: its commit need not wait for the disk
      (a crash can lose at most the last moments' definitions, never leave one half-made). --}}
set local synchronous_commit = off;
{{#if replaces_table}}
drop table {{relation}};
{{/if}}
{{#if recreate}}
drop view if exists {{relation}};
{{/if}}
create or replace view {{relation}} as
{{sql}};
