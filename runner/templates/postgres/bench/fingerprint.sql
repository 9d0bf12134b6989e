{{!-- dim_customer and fact_sales as row counts and order-free hashes of their rows without surrogate
      keys (a sale by the natural key of the version it points at): builds on different servers compare
      equal when their tables hold the same rows --}}
select
  (select count(*) from analytics.dim_customer where customer_key <> -1)::text as dim_rows,
  (select coalesce(sum(hashtextextended(row(customer_id, full_name, email, loyalty_tier, effective_start_date,
     effective_end_date, is_current)::text, 7)), 0)::text from analytics.dim_customer where customer_key <> -1) as dim_customer,
  (select count(*) from analytics.fact_sales)::text as fact_rows,
  (select coalesce(sum(hashtextextended(row(f.sale_id, f.customer_id, f.product_id, f.store_id, f.date_key, f.sale_timestamp,
     f.quantity, f.revenue, f.customer_key = -1, d.customer_id, d.effective_start_date)::text, 7)), 0)::text
   from analytics.fact_sales as f
   left join analytics.dim_customer as d on d.customer_id = f.customer_id and d.customer_key = f.customer_key) as fact_sales
