{{!-- `table`, made empty in the shape of `sql`'s rows, placed (distribute.sql), then filled by one
      INSERT … SELECT that runs on the workers; with `count`, its rows are the node's rows. With
      `block_columns` (a repartition block's columns), a row without a value in `dist_column_name` is
      placed under 0: Citus can't place a NULL (the blocks of the shipped project hold such rows only
      for records rejected for want of an id). --}}
create table {{table}} as select * from (
{{sql}}
) as model limit 0;
--;
{{> distribute}};
--;
insert into {{table}} select {{#if block_columns}}{{#each block_columns}}{{#if (eq this ../dist_column_name)}}coalesce(model.{{ident this}}, 0){{else}}model.{{ident this}}{{/if}}{{#unless @last}}, {{/unless}}{{/each}}{{else}}*{{/if}} from (
{{sql}}
) as model;
--;{{#if count}} rows{{/if}}
