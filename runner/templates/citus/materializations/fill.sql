{{!-- `table`, made empty in the shape of `sql`'s rows, placed (distribute.sql), then filled by one
      INSERT … SELECT that runs on the workers; with `count`, its rows are the node's rows. --}}
create table {{table}} as select * from (
{{sql}}
) as model limit 0;
--;
{{> distribute}};
--;
insert into {{table}} select * from (
{{sql}}
) as model;
--;{{#if count}} rows{{/if}}
