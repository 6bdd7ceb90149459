-- One row per scoring date in the history and segment of seed segment_definitions (empty
-- segments with zero customers): size, share, revenue and orders in the RFM window, average
-- order value, the share who ordered again within `calibration_horizon_days` (once that
-- horizon has elapsed before the scoring date), the average churn probability and 12-month
-- CLV predicted on that date, and the change from the previous date.
-- Rebuilt from the appended customer_segment_history, so each publication adds its date
-- and earlier dates gain their conversion as time passes. Only dates up to the scoring
-- date are used, and only orders before it.
{%- set horizon = var('calibration_horizon_days') %}

with history as (
    select * from {{ ref('customer_segment_history') }}
    where scoring_date <= {{ scoring_date() }}
),

definitions as (
    select * from {{ ref('segment_definitions') }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

dates as (
    select
        scoring_date,
        count(*) as all_customers,
        {{ dbt.dateadd('day', horizon, 'scoring_date') }} <= {{ scoring_date() }}
            as has_elapsed_horizon
    from history
    group by scoring_date
),

next_orders as (
    -- Customers of each date with a counted order within the horizon after it.
    select distinct
        history.scoring_date,
        history.customer_id
    from history
    inner join orders
        on
            history.customer_id = orders.customer_id
            and history.scoring_date <= orders.order_date
            and {{ dbt.dateadd('day', horizon, 'history.scoring_date') }} > orders.order_date
),

per_segment as (
    select
        history.scoring_date,
        history.segment,
        count(*) as customers,
        sum(coalesce(history.monetary, 0)) as revenue,
        sum(coalesce(history.frequency, 0)) as orders,
        count(next_orders.customer_id) as converted_customers,
        -- Over the customers with a prediction (buyers; null on rows written before the
        -- history kept predictions).
        avg(history.churn_probability) as avg_churn_probability,
        avg(history.clv_12m) as avg_clv
    from history
    left join next_orders
        on
            history.scoring_date = next_orders.scoring_date
            and history.customer_id = next_orders.customer_id
    group by history.scoring_date, history.segment
),

kpis as (
    select
        dates.scoring_date,
        definitions.segment,
        definitions.value_tier,
        definitions.display_order,
        coalesce(per_segment.customers, 0) as customers,
        round(coalesce(per_segment.customers, 0) / dates.all_customers, 4) as share,
        coalesce(per_segment.revenue, 0) as revenue,
        coalesce(per_segment.orders, 0) as orders,
        round(per_segment.revenue / nullif(per_segment.orders, 0), 2) as average_order_value,
        {{ horizon }} as conversion_horizon_days,
        case
            when dates.has_elapsed_horizon
                then round(per_segment.converted_customers / nullif(per_segment.customers, 0), 4)
        end as next_order_conversion,
        round(per_segment.avg_churn_probability, 4) as avg_churn_probability,
        round(per_segment.avg_clv, 2) as avg_clv
    from dates
    cross join definitions
    left join per_segment
        on
            dates.scoring_date = per_segment.scoring_date
            and definitions.segment = per_segment.segment
),

final as (
    select
        *,
        customers - lag(customers) over (partition by segment order by scoring_date)
            as customers_change,
        round(share - lag(share) over (partition by segment order by scoring_date), 4)
            as share_change,
        revenue - lag(revenue) over (partition by segment order by scoring_date)
            as revenue_change,
        orders - lag(orders) over (partition by segment order by scoring_date) as orders_change,
        average_order_value
        - lag(average_order_value) over (partition by segment order by scoring_date)
            as average_order_value_change
    from kpis
)

select * from final
