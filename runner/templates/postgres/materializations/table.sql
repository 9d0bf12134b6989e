{{!-- A table, built beside the old one and swapped in within the same transaction (swap.sql): readers
      see the old rows until commit, and a failure leaves the old table as it was. The model's SELECT
      runs once, straight into the table that stays (rejects, if any, move out). --}}
{{#if exists}}
create table {{tmp_relation}} as
{{sql}};
--; rows
{{> rejects from=tmp_relation counted=true}}
{{> key_removals mode="compare"}}
{{> swap}}
{{else}}
create table {{relation}} as
{{sql}};
--; rows
{{> rejects from=relation counted=true}}
{{> key_removals mode="unknown"}}
{{/if}}
--;
{{#if unique_index}}
create unique index if not exists {{unique_index_name}} on {{relation}} ({{join unique_key_quoted ", "}});
--;
{{/if}}
{{> create_indexes}}
analyze {{relation}};
