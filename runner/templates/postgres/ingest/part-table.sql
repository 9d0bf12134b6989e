{{!-- A table shaped like the raw table whose _file and _batch_id default to the file's (the COPY stream
      carries only the fields and _line). A helper's part carries a CHECK of its lines, so that the final
      ATTACH need not scan it; a file in parts is itself partitioned by line. A helper's transaction starts
      later than the file's: every part takes the file's load time. --}}
create table {{part}} (like {{relation}} including defaults
  {{#if check}}, check (_batch_id = {{batch_id}}{{#if from}} and _line >= {{from}}{{/if}}{{#if to}} and _line < {{to}}{{/if}}){{/if}}
){{#if by_line}} partition by range (_line){{/if}};
alter table {{part}} alter column _file set default {{literal file}}, alter column _batch_id set default {{batch_id}}
  {{#if loaded_at}}, alter column _loaded_at set default {{literal loaded_at}}::timestamptz{{/if}}
