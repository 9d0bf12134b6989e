{{!-- Stores, type 1: one row per store_id, as its latest record says. --}}
with stores as (
  select * from {{ref "stg_stores"}}
),

final as (
  select store_id, store_name, region
  from stores
)

select * from final
