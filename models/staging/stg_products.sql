{{config materialized="incremental" unique_key="product_id" reject_column="_reject_reason" reject_source="products"}}
{{!-- One row per product_id: its record from the last file by name (byte order), then the last line. --}}
with source as (
  select * from {{source "raw" "products"}}
  {{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}
),

typed as materialized (
  select
    {{to_id column="product_id"}} as product_id,
    {{clean_text column="product_name"}} as product_name,
    {{clean_text column="category"}} as category,
    {{to_money column="unit_price"}} as unit_price,
    product_id as product_id_raw,
    unit_price as unit_price_raw,
    _file,
    _line,
    _batch_id
  from source
),

checked as (
  select
    typed.*,
    case
      {{check raw="product_id_raw" typed="product_id" name="product_id" expected="a positive integer" required=true}}
      {{check raw="unit_price_raw" typed="unit_price" name="unit_price" expected="an exact decimal with at most 2 decimal places (numeric(12,2))"}}
    end as _reject_reason
  from typed
),

latest as (
  select distinct on (product_id) *
  from checked
  where _reject_reason is null
  order by product_id, {{later_record}}
),

final as (
  select product_id, product_name, category, unit_price, _file, _line, _batch_id, null::text as _reject_reason
  from latest
  {{#if is_incremental}}
  where not exists (
    select 1 from {{this}} as stored
    where stored.product_id = latest.product_id and {{is_later_than a="stored" b="latest"}}
  )
  {{/if}}
  union all
  select product_id, product_name, category, unit_price, _file, _line, _batch_id, _reject_reason
  from checked
  where _reject_reason is not null
)

select * from final
