{{!-- A table, built beside the old one and swapped in within the same transaction: readers see the
      old rows until commit, and a failure leaves the old table as it was. When other relations depend
      on the old table (a user's view, say) it is refilled in place instead of dropped, so they survive. --}}
{{#if exists}}
create table {{tmp_relation}} as
{{sql}};
--; rows
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
{{> key_removals mode="unknown"}}
{{/if}}
--;
{{> create_indexes}}
analyze {{relation}};
