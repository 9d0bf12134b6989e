{{!-- an empty temporary table with the columns of a model's SELECT: planned, never run for a row
      (its inputs are empty shapes anyway); a model's reject column never reaches its table --}}
create temporary table {{relation}} as
select * from (
{{sql}}
) as shape limit 0;
{{#if drop}}
--;
alter table {{relation}} drop column {{ident drop}};
{{/if}}
