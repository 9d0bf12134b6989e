{{config materialized="view" schema="staging"}}
{{!-- Every event of a customer's history: its records in customers (at created_at) and in
      customers_updates (at updated_at). Where both sources hold one customer at one time, the record
      from the later file by name (byte order), then the later line, wins. --}}
with customers as (
  select customer_id, full_name, email, loyalty_tier, created_at as event_at, _file, _line, _batch_id
  from {{ref "stg_customers"}}
),

customers_updates as (
  select customer_id, full_name, email, loyalty_tier, updated_at as event_at, _file, _line, _batch_id
  from {{ref "stg_customers_updates"}}
),

events as (
  select * from customers
  union all
  select * from customers_updates
),

final as (
  select distinct on (customer_id, event_at)
    customer_id, full_name, email, loyalty_tier, event_at, _file, _line, _batch_id
  from events
  order by customer_id, event_at, {{later_record}}
)

select * from final
