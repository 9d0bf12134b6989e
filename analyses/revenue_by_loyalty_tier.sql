{{!-- The question SCD2 exists to answer: revenue by loyalty tier as the customer was at the time of sale,
      next to revenue by the tier they have now. (none): sales of customers with no tier at that time (or
      now), and of unknown customers (-1 in the fact). --}}
with sales as (
  select sales.revenue, at_sale.loyalty_tier as tier_at_sale, today.loyalty_tier as tier_now
  from {{ref "fact_sales"}} as sales
  inner join {{ref "dim_customer"}} as at_sale on at_sale.customer_key = sales.customer_key
  left join {{ref "dim_customer"}} as today on today.customer_id = sales.customer_id and today.is_current
),

tiers as (
  select coalesce(tier_at_sale, '(none)') as loyalty_tier, revenue, 'at_sale' as basis from sales
  union all
  select coalesce(tier_now, '(none)'), revenue, 'now' from sales
),

final as (
  select loyalty_tier,
         sum(revenue) filter (where basis = 'at_sale') as "revenue by tier at time of sale",
         sum(revenue) filter (where basis = 'now') as "revenue by current tier"
  from tiers
  group by loyalty_tier
  order by array_position(array['Bronze', 'Silver', 'Gold', 'Platinum', '(none)'], loyalty_tier)
)

select * from final
