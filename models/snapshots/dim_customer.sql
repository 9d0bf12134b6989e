{{config materialized="snapshot" unique_key="customer_id" updated_at="event_at" distributed_by="customer_id"
         check_cols="full_name, email, loyalty_tier" surrogate_key="customer_key"
         valid_from="effective_start_date" valid_to="effective_end_date" current_flag="is_current"
         unknown_member=true}}
{{!-- The customer dimension, SCD type 2: a new version whenever the name, email or loyalty tier of a
      customer changes, in event time. The table and its constraints come from
      migrations/0003-create-dim-customer.sql. --}}
select customer_id, full_name, email, loyalty_tier, event_at, _batch_id
from {{ref "int_customer_events"}}
{{#if is_incremental}}
{{!-- only the customers with records landed since the last run, with all of their events: the
      snapshot recomputes each of their histories. As "= any(array(...))" the filter is a plain
      condition on customer_id, which PostgreSQL pushes into the view's DISTINCT ON and down to the
      staging indexes (an IN (subquery) would make it read every event first) --}}
where customer_id = any(array(
  select customer_id from {{ref "stg_customers"}} where _batch_id > {{prev.batch_id}}
  union
  select customer_id from {{ref "stg_customers_updates"}} where _batch_id > {{prev.batch_id}}
))
{{/if}}
