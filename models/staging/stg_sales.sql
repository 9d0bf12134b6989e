{{config materialized="incremental" unique_key="sale_id" distributed_by="sale_id" reject_column="_reject_reason" reject_source="sales"
         indexes="_batch_id, (customer_id, sale_timestamp), sale_timestamp"}}
{{!-- One row per sale_id, typed and validated. A run reads only the batches landed since its last
      success; a record replaces the stored one only when it comes from a later file (byte order) or a
      later line. Records that fail validation carry a reason and go to staging.rejected_rows.
      The typed records are computed once; on Citus they first move to the shards of their sale_id
      (repartition), where the latest record of each sale is picked next to the stored one. --}}
with {{#repartition "typed" by="sale_id" materialized=true}}
  select
    {{to_id column="sale_id"}} as sale_id,
    {{to_id column="customer_id"}} as customer_id,
    {{to_id column="product_id"}} as product_id,
    {{to_id column="store_id"}} as store_id,
    {{to_timestamp column="sale_timestamp"}} as sale_timestamp,
    {{to_quantity column="quantity"}} as quantity,
    {{to_money column="revenue"}} as revenue,
    sale_id as sale_id_raw,
    customer_id as customer_id_raw,
    product_id as product_id_raw,
    store_id as store_id_raw,
    sale_timestamp as sale_timestamp_raw,
    quantity as quantity_raw,
    revenue as revenue_raw,
    _file,
    _line,
    _batch_id
  from {{source "raw" "sales"}}
  {{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}
{{/repartition}},

checked as not materialized (
  select
    typed.*,
    case
      {{!-- no id reads as 0 on Citus, where the typed records are placed by it (see the repartition block) --}}
      {{check raw="sale_id_raw" typed="nullif(sale_id, 0)" name="sale_id" expected="a positive integer" required=true}}
      {{check raw="customer_id_raw" typed="customer_id" name="customer_id" expected="a positive integer" required=true}}
      {{check raw="product_id_raw" typed="product_id" name="product_id" expected="a positive integer" required=true}}
      {{check raw="store_id_raw" typed="store_id" name="store_id" expected="a positive integer" required=true}}
      {{check raw="sale_timestamp_raw" typed="sale_timestamp" name="sale_timestamp" expected="an ISO 8601 timestamp" required=true}}
      {{check raw="quantity_raw" typed="quantity" name="quantity" expected="a positive integer" required=true}}
      {{check raw="revenue_raw" typed="revenue" name="revenue" expected="an exact decimal with at most 2 decimal places (numeric(12,2))" required=true}}
    end as _reject_reason
  from typed
),

latest as (
  select distinct on (sale_id) *
  from checked
  where _reject_reason is null
  order by sale_id, {{later_record}}
),

final as (
  select sale_id, customer_id, product_id, store_id, sale_timestamp, quantity, revenue,
         _file, _line, _batch_id, null::text as _reject_reason
  from latest
  {{#if is_incremental}}
  where not exists (
    select 1 from {{this}} as stored
    where stored.sale_id = latest.sale_id and {{is_later_than a="stored" b="latest"}}
  )
  {{/if}}
  union all
  select sale_id, customer_id, product_id, store_id, sale_timestamp, quantity, revenue,
         _file, _line, _batch_id, _reject_reason
  from checked
  where _reject_reason is not null
)

select * from final
