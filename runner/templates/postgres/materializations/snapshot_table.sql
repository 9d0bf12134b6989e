{{!-- The table a snapshot keeps, with no rows: its surrogate key, the unique key, the stored columns
      and the validity interval, typed as the model's SELECT types them (unit tests take an upstream
      snapshot's columns from here too). --}}
create table {{relation}} as
select 0::bigint as {{surrogate_key}}, src.{{unique_key}}{{#each stored_cols}}, src.{{this}}{{/each}},
       {{#if updated_at}}src.{{updated_at}}{{else}}null::timestamp{{/if}} as {{valid_from}},
       {{#if updated_at}}src.{{updated_at}}{{else}}null::timestamp{{/if}} as {{valid_to}},
       true as {{current_flag}}
from ({{sql}}) as src
limit 0
