{{!-- customer_events: the staging of a customer source (customers at created_at, customers_updates at
      updated_at): one typed row per customer and time, each an event of its history; of two records for
      one customer and time, the later file (byte order), then the later line, wins. Invalid records
      carry _reject_reason. The typed records are computed once; on Citus they first move to the shards
      of their customer_id (repartition). Arguments: source_table, time_column. --}}
with {{#repartition "typed" by="customer_id" materialized=true}}
  select
    {{to_id column="customer_id"}} as customer_id,
    {{clean_text column="full_name"}} as full_name,
    {{fold_case column=(clean_text column="email")}} as email,
    {{to_loyalty_tier column="loyalty_tier"}} as loyalty_tier,
    {{to_timestamp column=time_column}} as {{time_column}},
    customer_id as customer_id_raw,
    loyalty_tier as loyalty_tier_raw,
    {{time_column}} as {{time_column}}_raw,
    _file,
    _line,
    _batch_id
  from {{source "raw" source_table}}
  {{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}
{{/repartition}},

checked as not materialized (
  select
    typed.*,
    case
      {{!-- no id reads as 0 on Citus, where the typed records are placed by it (see the repartition block) --}}
      {{check raw="customer_id_raw" typed="nullif(customer_id, 0)" name="customer_id" expected="a positive integer" required=true}}
      {{check raw=(concat time_column "_raw") typed=time_column name=time_column expected="an ISO 8601 timestamp" required=true}}
      {{check raw="loyalty_tier_raw" typed="loyalty_tier" name="loyalty_tier" expected="one of Bronze, Silver, Gold, Platinum"}}
    end as _reject_reason
  from typed
),

latest as (
  select distinct on (customer_id, {{time_column}}) *
  from checked
  where _reject_reason is null
  order by customer_id, {{time_column}}, {{later_record}}
),

final as (
  select customer_id, full_name, email, loyalty_tier, {{time_column}}, _file, _line, _batch_id, null::text as _reject_reason
  from latest
  {{#if is_incremental}}
  where not exists (
    select 1 from {{this}} as stored
    where stored.customer_id = latest.customer_id and stored.{{time_column}} = latest.{{time_column}}
      and {{is_later_than a="stored" b="latest"}}
  )
  {{/if}}
  union all
  select customer_id, full_name, email, loyalty_tier, {{time_column}}, _file, _line, _batch_id, _reject_reason
  from checked
  where _reject_reason is not null
)

select * from final
