{{!-- later_record: the order in which records of one key win: the later file by name in byte order
      (C collation: sales.csv before sales_2025-06.csv), then the later line. Use in a window's ORDER BY. --}}{{#if prefix}}{{prefix}}.{{/if}}_file collate "C" desc, {{#if prefix}}{{prefix}}.{{/if}}_line desc
