{{config materialized="incremental" unique_key="store_id" reject_column="_reject_reason" reject_source="stores"}}
{{!-- One row per store_id: its record from the last file by name (byte order), then the last line. --}}
with source as (
  select * from {{source "raw" "stores"}}
  {{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}
),

typed as materialized (
  select
    {{to_id column="store_id"}} as store_id,
    {{clean_text column="store_name"}} as store_name,
    {{clean_text column="region"}} as region,
    store_id as store_id_raw,
    _file,
    _line,
    _batch_id
  from source
),

checked as (
  select
    typed.*,
    case
      {{check raw="store_id_raw" typed="store_id" name="store_id" expected="a positive integer" required=true}}
    end as _reject_reason
  from typed
),

latest as (
  select distinct on (store_id) *
  from checked
  where _reject_reason is null
  order by store_id, {{later_record}}
),

final as (
  select store_id, store_name, region, _file, _line, _batch_id, null::text as _reject_reason
  from latest
  {{#if is_incremental}}
  where not exists (
    select 1 from {{this}} as stored
    where stored.store_id = latest.store_id and {{is_later_than a="stored" b="latest"}}
  )
  {{/if}}
  union all
  select store_id, store_name, region, _file, _line, _batch_id, _reject_reason
  from checked
  where _reject_reason is not null
)

select * from final
