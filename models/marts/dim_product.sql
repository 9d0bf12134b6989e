{{!-- Products, type 1: one row per product_id, as its latest record says. --}}
with products as (
  select * from {{ref "stg_products"}}
),

final as (
  select product_id, product_name, category, unit_price
  from products
)

select * from final
