-- Did the scores predict? For every scoring date in the history whose horizon of
-- `calibration_horizon_days` has elapsed before the scoring date, customers are split into
-- ten equal groups (deciles, 10 = highest) by each score they had on that date, against
-- what they did in the following horizon: customers who ordered, orders and revenue.
-- Rebuilt from the appended history, so the table fills itself as time passes.
{%- set horizon = var('calibration_horizon_days') %}

with history as (
    select * from {{ ref('customer_segment_history') }}
    where {{ dbt.dateadd('day', horizon, 'scoring_date') }} <= {{ scoring_date() }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

scores as (
    select
        scoring_date,
        customer_id,
        'score_0_100' as score_name,
        score_0_100 as score
    from history
    union all
    select
        scoring_date,
        customer_id,
        'rfm_score_100' as score_name,
        rfm_score_100 as score
    from history
    union all
    select
        scoring_date,
        customer_id,
        'behavioural_score' as score_name,
        behavioural_score as score
    from history
),

deciles as (
    select
        scoring_date,
        customer_id,
        score_name,
        score,
        ntile(10) over (
            partition by scoring_date, score_name order by score, customer_id
        ) as decile
    from scores
    where score is not null
),

outcomes as (
    -- Counted orders of each customer within the horizon after each date.
    select
        history.scoring_date,
        history.customer_id,
        count(*) as orders,
        sum(orders.net_amount) as revenue
    from history
    inner join orders
        on
            history.customer_id = orders.customer_id
            and history.scoring_date <= orders.order_date
            and {{ dbt.dateadd('day', horizon, 'history.scoring_date') }} > orders.order_date
    group by history.scoring_date, history.customer_id
),

final as (
    select
        deciles.scoring_date,
        {{ horizon }} as horizon_days,
        deciles.score_name,
        deciles.decile,
        count(*) as customers,
        min(deciles.score) as min_score,
        max(deciles.score) as max_score,
        count(outcomes.customer_id) as ordered_customers,
        round(count(outcomes.customer_id) / count(*), 4) as ordered_share,
        coalesce(sum(outcomes.orders), 0) as orders,
        coalesce(sum(outcomes.revenue), 0) as revenue
    from deciles
    left join outcomes
        on
            deciles.scoring_date = outcomes.scoring_date
            and deciles.customer_id = outcomes.customer_id
    group by deciles.scoring_date, deciles.score_name, deciles.decile
)

select * from final
