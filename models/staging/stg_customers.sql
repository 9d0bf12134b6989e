{{config materialized="incremental" unique_key="customer_id, created_at" reject_column="_reject_reason" reject_source="customers"
         indexes="_batch_id"}}
{{!-- One row per customer and created_at: each is an event in the customer's history. Of two records for the
      same customer and time, the one from the later file (byte order), then the later line, wins. --}}
with source as (
  select * from {{source "raw" "customers"}}
  {{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}
),

typed as materialized (
  select
    {{to_id column="customer_id"}} as customer_id,
    {{clean_text column="full_name"}} as full_name,
    lower({{clean_text column="email"}}) as email,
    {{to_loyalty_tier column="loyalty_tier"}} as loyalty_tier,
    {{to_timestamp column="created_at"}} as created_at,
    customer_id as customer_id_raw,
    loyalty_tier as loyalty_tier_raw,
    created_at as created_at_raw,
    _file,
    _line,
    _batch_id
  from source
),

checked as (
  select
    typed.*,
    case
      {{check raw="customer_id_raw" typed="customer_id" name="customer_id" expected="a positive integer" required=true}}
      {{check raw="created_at_raw" typed="created_at" name="created_at" expected="an ISO 8601 timestamp" required=true}}
      {{check raw="loyalty_tier_raw" typed="loyalty_tier" name="loyalty_tier" expected="one of Bronze, Silver, Gold, Platinum"}}
    end as _reject_reason
  from typed
),

latest as (
  select distinct on (customer_id, created_at) *
  from checked
  where _reject_reason is null
  order by customer_id, created_at, {{later_record}}
),

final as (
  select customer_id, full_name, email, loyalty_tier, created_at, _file, _line, _batch_id, null::text as _reject_reason
  from latest
  {{#if is_incremental}}
  where not exists (
    select 1 from {{this}} as stored
    where stored.customer_id = latest.customer_id and stored.created_at = latest.created_at
      and {{is_later_than a="stored" b="latest"}}
  )
  {{/if}}
  union all
  select customer_id, full_name, email, loyalty_tier, created_at, _file, _line, _batch_id, _reject_reason
  from checked
  where _reject_reason is not null
)

select * from final
