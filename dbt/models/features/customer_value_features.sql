-- The inputs of the customer-base models (MBG/NBD, BG/NBD or Pareto/NBD, and Gamma-Gamma)
-- as of the scoring date, one row per customer with at least one counted order. Times in
-- days.
with purchase_days as (
    select * from {{ ref('int_customer_purchase_days') }}
),

numbered as (
    select
        *,
        row_number() over (partition by customer_id order by purchase_date) as occasion
    from purchase_days
),

final as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as frequency,
        {{ dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('min(purchase_date)', scoring_date(), 'day') }} as tenure_days,  -- noqa: LT05
        avg(case when occasion > 1 then net_amount end) as mean_repeat_order_value,
        {{ scoring_date() }} as scoring_date
    from numbered
    group by customer_id
)

select * from final
