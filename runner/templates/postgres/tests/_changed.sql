{{!-- The rows whose keys the run's merge wrote (`scope`: their table and the key columns), as a
      condition on the table's rows (on `alias`'s, when given); none when the run left the model alone.
      See README, "Data tests on what changed". --}}
{{#if scope.none}}false{{else}}({{#each scope.columns}}{{#if ../alias}}{{../alias}}.{{/if}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}) in (select {{join scope.columns ", "}} from {{scope.relation}}){{/if}}
