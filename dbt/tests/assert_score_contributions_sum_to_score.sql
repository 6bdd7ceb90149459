{{ config(meta={'dagster': {'ref': {'name': 'customer_score_contributions'}}}) }}
-- Every customer's contributions sum to the score_0_100 customer_scores shows (to 0.01),
-- and the rounding row, what the signals leave unexplained, stays within the rounding of
-- the score to 1 decimal (0.05) and of rfm_score_100 to 2 decimals (0.005 x its weight).
with scores as (
    select * from {{ ref('customer_scores') }}
),

contributions as (
    select * from {{ ref('customer_score_contributions') }}
),

sums as (
    select
        customer_id,
        sum(contribution) as contributions,
        sum(case when component = 'rounding' then contribution else 0 end) as rounding
    from contributions
    group by customer_id
),

final as (
    select
        scores.customer_id,
        scores.score_0_100,
        sums.contributions,
        sums.rounding
    from scores
    left join sums on scores.customer_id = sums.customer_id
)

select * from final
where
    coalesce(abs(contributions - score_0_100) > 0.01, score_0_100 <> 0)
    or abs(rounding) > 0.0551
