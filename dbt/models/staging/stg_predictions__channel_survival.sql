-- Kaplan-Meier retention by order channel, as the survival asset wrote it.
with source as (
    select * from {{ source('predictions_survival', 'channel_survival') }}
),

final as (
    select
        channel_of,
        channel,
        customers,
        lost,
        survival_90d,
        at_risk_90d,
        survival_180d,
        at_risk_180d,
        survival_365d,
        at_risk_365d,
        survival_730d,
        at_risk_730d,
        median_survival_days,
        logrank_statistic,
        logrank_p_value,
        cast(scoring_date as date) as scoring_date
    from source
)

select * from final
