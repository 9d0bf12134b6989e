{{!-- The table built beside the old one (tmp_relation) takes its place, in the build's transaction. When
      other relations (a user's view, say) depend on the old table, it is refilled in place instead, so
      they survive. --}}
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
