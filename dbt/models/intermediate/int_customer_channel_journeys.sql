-- The features of the survival-by-channel model, one row per customer with a counted order
-- before the scoring date: first and last counted order, the channels of the first and
-- second counted orders, and whether the customer is lost (no counted order for var
-- churn_days before the scoring date). The lifetime runs from the first order to the last:
-- a lost customer's ends there, a customer not lost is censored there (their last order
-- is all that is known: censored at the scoring date, a customer who will turn out lost
-- with that same last order would count as surviving past it; and with history shorter
-- than churn_days plus a horizon, nobody could be seen lost beyond it, so the curve stayed
-- flat there instead of ending).
with orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

channels as (
    select * from {{ ref('int_order_channels') }}
),

ranked as (
    select
        orders.customer_id,
        orders.order_date,
        channels.channel,
        row_number() over (
            partition by orders.customer_id order by orders.order_date asc, orders.order_id asc
        ) as order_rank
    from orders
    inner join channels on orders.order_id = channels.order_id
),

summary as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders_total,
        max(case when order_rank = 1 then channel end) as first_channel,
        max(case when order_rank = 2 then channel end) as second_channel
    from ranked
    group by customer_id
),

history as (
    -- A loss shows churn_days after the last order: none is seen at a lifetime longer
    -- than the history less churn_days.
    select
        {{ dbt.datediff('min(first_order_date)', scoring_date(), 'day') }}
        - {{ var('churn_days') }} as observable_lifetime_days
    from summary
),

final as (
    select
        summary.customer_id,
        summary.first_order_date,
        summary.last_order_date,
        summary.orders_total,
        summary.first_channel,
        summary.second_channel,
        {{ dbt.datediff('summary.last_order_date', scoring_date(), 'day') }}
        >= {{ var('churn_days') }} as is_lost,
        {{ dbt.datediff(
            'summary.first_order_date', 'summary.last_order_date', 'day'
        ) }} as lifetime_days,
        history.observable_lifetime_days,
        {{ scoring_date() }} as scoring_date
    from summary
    cross join history
)

select * from final
