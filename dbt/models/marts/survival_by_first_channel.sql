-- Which first channel brings customers who stay: Kaplan-Meier survival by the channel of
-- the first order (channel_of = first) and, for repeat buyers, of the second order
-- (channel_of = second), with the log-rank test across the channels of each kind.
-- Lost = no counted order for var churn_days; customers not lost are censored at their
-- last order (int_customer_channel_journeys).
with curves as (
    select * from {{ ref('stg_predictions__channel_survival') }}
),

final as (
    select
        channel_of,
        channel,
        customers,
        lost,
        survival_90d,
        survival_180d,
        survival_365d,
        survival_730d,
        at_risk_90d,
        at_risk_180d,
        at_risk_365d,
        at_risk_730d,
        median_survival_days,
        logrank_statistic,
        logrank_p_value,
        scoring_date
    from curves
    where scoring_date = {{ scoring_date() }}
)

select * from final
