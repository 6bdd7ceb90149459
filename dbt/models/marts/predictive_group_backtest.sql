-- Forecast against what happened, per group of the latest earlier scoring date in
-- predictive_group_history: buyers, orders and revenue forecast for its horizon
-- (var propensity_horizon_days) and those observed from that date up to the current scoring
-- date (or the end of the horizon, whichever comes first). horizon_complete is false while
-- the horizon is not over: actuals are then partial.
with history as (
    select * from {{ ref('predictive_group_history') }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

previous as (
    select max(scoring_date) as forecast_date
    from history
    where scoring_date < {{ scoring_date() }}
),

window_bounds as (
    select
        forecast_date,
        least(
            cast({{ dbt.dateadd('day', var('propensity_horizon_days'), 'forecast_date') }} as date),
            {{ scoring_date() }}
        ) as observed_until
    from previous
    where forecast_date is not null
),

forecast as (
    select
        history.*,
        window_bounds.forecast_date,
        window_bounds.observed_until
    from history
    inner join window_bounds on history.scoring_date = window_bounds.forecast_date
),

actual as (
    select
        forecast.customer_id,
        count(*) as orders,
        sum(orders.net_amount) as revenue
    from forecast
    inner join orders
        on
            forecast.customer_id = orders.customer_id
            and forecast.forecast_date <= orders.order_date
            and forecast.observed_until > orders.order_date
    group by forecast.customer_id
),

final as (
    select
        forecast.forecast_date,
        forecast.predictive_group,
        forecast.group_number,
        count(*) as customers,
        sum(forecast.purchase_probability) as forecast_buyers,
        sum(case when actual.orders > 0 then 1 else 0 end) as actual_buyers,
        sum(forecast.expected_orders) as forecast_orders,
        coalesce(sum(actual.orders), 0) as actual_orders,
        sum(forecast.expected_revenue) as forecast_revenue,
        coalesce(sum(actual.revenue), 0) as actual_revenue,
        {{ dbt.datediff('forecast.forecast_date', 'forecast.observed_until', 'day') }}
            as days_observed,
        {{ dbt.datediff('forecast.forecast_date', 'forecast.observed_until', 'day') }}
        >= {{ var('propensity_horizon_days') }} as is_horizon_complete,
        {{ scoring_date() }} as scoring_date
    from forecast
    left join actual on forecast.customer_id = actual.customer_id
    group by
        forecast.forecast_date,
        forecast.predictive_group,
        forecast.group_number,
        forecast.observed_until
)

select * from final
