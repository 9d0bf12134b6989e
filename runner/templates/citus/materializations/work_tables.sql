{{!-- The model's {{#repartition}} blocks: each becomes a work table distributed by its column, filled by
      one INSERT … SELECT before the model's query reads it. Citus runs the SELECT on the shards it reads
      and sends each row straight to the worker that holds its value. Made in the node's transaction:
      a failed or killed build leaves none behind. --}}
{{#each work_tables}}
{{> fill table=relation sql=sql reference=false dist_column_name=by block_columns=columns}}
{{/each}}
