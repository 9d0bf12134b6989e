{{!-- What the warehouse holds: the quick start prints this after a build (npm start). --}}
select 'analytics.fact_sales' as "table", count(*) as rows from {{ref "fact_sales"}}
union all
select 'analytics.dim_customer (versions)', count(*) from {{ref "dim_customer"}} where customer_key <> -1
union all
select 'analytics.dim_customer (customers)', count(distinct customer_id) from {{ref "dim_customer"}} where customer_key <> -1
union all
select 'analytics.dim_product', count(*) from {{ref "dim_product"}}
union all
select 'analytics.dim_store', count(*) from {{ref "dim_store"}}
union all
select 'analytics.dim_date', count(*) from {{ref "dim_date"}}
union all
select 'staging.rejected_rows', count(*) from staging.rejected_rows
