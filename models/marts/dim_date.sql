{{!-- The calendar: every day from the first to the last sale (ISO weekdays, Monday = 1). The first
      and last sale come from stg_sales' index on sale_timestamp, not from a scan of every sale. --}}
with sales as (
  select * from {{ref "stg_sales"}}
),

bounds as (
  select coalesce(min(sale_timestamp)::date, current_date) as first_day,
         coalesce(max(sale_timestamp)::date, current_date) as last_day
  from sales
),

days as (
  select generate_series(first_day, last_day, interval '1 day')::date as full_date
  from bounds
),

final as (
  select
    to_char(full_date, 'YYYYMMDD')::int as date_key,
    full_date,
    extract(year from full_date)::int as year,
    extract(quarter from full_date)::int as quarter,
    extract(month from full_date)::int as month,
    trim(to_char(full_date, 'Month')) as month_name,
    extract(day from full_date)::int as day_of_month,
    extract(isodow from full_date)::int as day_of_week,
    trim(to_char(full_date, 'Day')) as day_name,
    extract(week from full_date)::int as iso_week,
    extract(isodow from full_date) in (6, 7) as is_weekend
  from days
)

select * from final
