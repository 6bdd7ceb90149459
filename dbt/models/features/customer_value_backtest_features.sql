-- The same inputs as customer_value_features, as of the backtest cutoff (scoring date
-- minus holdout_days), with what each customer then bought during the holdout (from the
-- cutoff to the day before the scoring date). One row per customer with a counted order
-- before the cutoff: the backtest fits on the first part and predicts the second.
{%- set cutoff = dbt.dateadd('day', -var('holdout_days'), scoring_date()) %}

with purchase_days as (
    select * from {{ ref('int_customer_purchase_days') }}
),

calibration as (
    select
        *,
        row_number() over (partition by customer_id order by purchase_date) as occasion
    from purchase_days
    where purchase_date < {{ cutoff }}
),

holdout as (
    select
        customer_id,
        count(*) as holdout_orders
    from purchase_days
    where purchase_date >= {{ cutoff }}
    group by customer_id
),

summary as (
    select
        customer_id,
        count(*) - 1 as frequency,
        {{ dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('min(purchase_date)', cutoff, 'day') }} as tenure_days,  -- noqa: LT05
        avg(case when occasion > 1 then net_amount end) as mean_repeat_order_value
    from calibration
    group by customer_id
),

final as (
    select
        summary.customer_id,
        summary.frequency,
        summary.recency_days,
        summary.tenure_days,
        summary.mean_repeat_order_value,
        coalesce(holdout.holdout_orders, 0) as holdout_orders,
        {{ var('holdout_days') }} as holdout_days,
        cast({{ cutoff }} as date) as cutoff_date,
        {{ scoring_date() }} as scoring_date
    from summary
    left join holdout on summary.customer_id = holdout.customer_id
)

select * from final
