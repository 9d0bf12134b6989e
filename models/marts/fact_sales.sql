{{config materialized="incremental" unique_key="sale_id" distributed_by="customer_id"
         indexes="customer_id, date_key, product_id, store_id"}}
{{!-- One row per sale, with the customer version in effect at the time of sale: the version whose
      [start, end) holds sale_timestamp; a sale before the customer's first version takes the first
      version; a customer with no history at all is the unknown member (-1). Ids stay as the source
      gave them: orphans are reported by the data tests, never dropped.
      A run takes the sales landed since its last success, plus the sales of every customer whose
      history the snapshot changed since then, from the time it changed on (a late event may move them
      to another version; the sales before it stay where they are).
      On Citus those sales first move to the shards of their customer_id (repartition), where the
      customer's versions are: the point-in-time join runs there. --}}
with {{#repartition "sales" by="customer_id"}}
  select * from {{ref "stg_sales"}}
  {{#if is_incremental}}
  where _batch_id > {{prev.batch_id}}
  union all
  {{!-- one range of stg_sales' (customer_id, sale_timestamp) index per changed customer --}}
  select stored.* from {{ref "stg_sales"}} as stored
  join {{changed_since snapshot="dim_customer"}} as moved
    on stored.customer_id = moved.key and stored.sale_timestamp >= moved.since
  where stored._batch_id <= {{prev.batch_id}}
  {{/if}}
{{/repartition}},

customers as (
  select customer_id, customer_key, effective_start_date, effective_end_date,
         row_number() over (partition by customer_id order by effective_start_date) = 1 as is_first
  from {{ref "dim_customer"}}
  where customer_key <> -1
  {{#if is_incremental}}and customer_id in (select customer_id from sales){{/if}}
),

final as (
  select
    sales.sale_id,
    coalesce(in_effect.customer_key, -1) as customer_key,
    sales.customer_id,
    sales.product_id,
    sales.store_id,
    to_char(sales.sale_timestamp, 'YYYYMMDD')::int as date_key,
    sales.sale_timestamp,
    sales.quantity,
    sales.revenue::numeric(12, 2) as revenue
  from sales
  left join customers as in_effect
    on in_effect.customer_id = sales.customer_id
   {{!-- the first version also takes the sales before it --}}
   and (sales.sale_timestamp >= in_effect.effective_start_date or in_effect.is_first)
   and (sales.sale_timestamp < in_effect.effective_end_date or in_effect.effective_end_date is null)
)

select * from final
