{{!-- With reject_column, rows of `from` where that column is not NULL are records that failed validation:
      they go to staging.rejected_rows (`rejected_rows`; source = reject_source) instead of the table, and the column goes.
      A full build first clears the source's earlier rejects. With `counted` (the rows of `from` were counted
      as written), the moved rows no longer count. With `keep_column`, the (then empty) column stays. --}}
{{#if reject_column}}
{{#if build_full}}
delete from {{rejected_rows}} where stage = 'staging' and source = {{literal reject_source}};
--;
{{/if}}
insert into {{rejected_rows}} (source, file, line, reason, stage, batch_id)
select {{literal reject_source}}, _file, _line, {{ident reject_column}}, 'staging', _batch_id
from {{from}} where {{ident reject_column}} is not null;
{{#if counted}}--; -rows{{else}}--;{{/if}}
delete from {{from}} where {{ident reject_column}} is not null;
--;
{{#unless keep_column}}
alter table {{from}} drop column {{ident reject_column}};
--;
{{/unless}}
{{/if}}
