{{!-- A view: replaced in place so that views built on top of it keep working. When its columns change
      (create or replace cannot drop or rename columns) the runner asks again with `recreate`. --}}
{{#if replaces_table}}
drop table {{relation}};
{{/if}}
{{#if recreate}}
drop view if exists {{relation}};
{{/if}}
create or replace view {{relation}} as
{{sql}};
