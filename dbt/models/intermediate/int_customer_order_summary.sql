-- Recency, frequency and monetary values per customer with at least one counted order
-- before the scoring date (the RFM-scored population). Frequency and monetary cover
-- rfm_lookback_days (null = all history); orders_recent and net_revenue_recent cover
-- recent_value_days.
with orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

final as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        {{ dbt.datediff('max(order_date)', scoring_date(), 'day') }} as recency_days,  -- noqa: LT05
        count(case
            when order_date >= {{ window_start(var('rfm_lookback_days')) }} then 1
        end) as frequency,
        coalesce(sum(case
            when order_date >= {{ window_start(var('rfm_lookback_days')) }} then net_amount
        end), 0) as monetary,
        count(*) as orders_total,
        sum(net_amount) as net_revenue_total,
        count(case
            when order_date >= {{ window_start(var('recent_value_days')) }} then 1
        end) as orders_recent,
        coalesce(sum(case
            when order_date >= {{ window_start(var('recent_value_days')) }} then net_amount
        end), 0) as net_revenue_recent
    from orders
    group by customer_id
)

select * from final
