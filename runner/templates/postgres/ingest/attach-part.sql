{{!-- part of a file: its lines [from, to) --}}
alter table {{file_table}} attach partition {{part}}
  for values from ({{#if from}}{{from}}{{else}}minvalue{{/if}}) to ({{#if to}}{{to}}{{else}}maxvalue{{/if}})
