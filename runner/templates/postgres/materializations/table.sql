{{!-- A table, built beside the old one and swapped in within the same transaction: readers see the
      old rows until commit, and a failure leaves the old table as it was. When other relations depend
      on the old table (a user's view, say) it is refilled in place instead of dropped, so they survive.
      The model's SELECT runs once, straight into the table that stays (rejects, if any, move out). --}}
{{#if exists}}
create table {{tmp_relation}} as
{{sql}};
--; rows
{{> rejects from=tmp_relation counted=true}}
{{> key_removals mode="compare"}}
{{#if has_dependents}}
truncate table {{relation}};
--;
insert into {{relation}} select * from {{tmp_relation}};
--;
drop table {{tmp_relation}};
{{else}}
drop {{existing_kind}} {{relation}};
--;
alter table {{tmp_relation}} rename to {{ident alias}};
{{/if}}
{{else}}
create table {{relation}} as
{{sql}};
--; rows
{{> rejects from=relation counted=true}}
{{> key_removals mode="unknown"}}
{{/if}}
--;
{{#if unique_index}}
create unique index on {{relation}} ({{join unique_key_quoted ", "}});
--;
{{/if}}
{{> create_indexes}}
analyze {{relation}};
