{{!-- A table on Citus. Distributed or a reference table (distributed_by, distribution="reference"): created
      empty, placed, then filled by one INSERT … SELECT that runs on the workers; the new table is built
      beside the old one and swapped in within the same transaction, or, when views depend on the old
      one, refilled in place, as on PostgreSQL. Without a distribution it stays on the coordinator and is
      built as there. --}}
{{> work_tables}}
{{#if distributed}}
{{> local_execution}}
{{#if exists}}
{{> fill table=tmp_relation count=true}}
{{> rejects from=tmp_relation counted=true}}
{{> swap}}
{{else}}
{{> fill table=relation count=true}}
{{> rejects from=relation counted=true}}
{{/if}}
--;
{{#if unique_index}}
{{!-- a unique index must hold the distribution column; without it the index still finds a key's rows --}}
create {{#if key_holds_dist}}unique {{/if}}index if not exists {{unique_index_name}} on {{relation}} ({{join unique_key_quoted ", "}});
--;
{{/if}}
{{> create_indexes}}
analyze {{relation}};
{{else}}
{{> postgres/table}}
{{/if}}
--;
{{> drop_work_tables}}
