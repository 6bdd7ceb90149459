-- Kaplan-Meier retention by order channel, as the survival asset wrote it.
with source as (
    select * from {{ source('predictions_survival', 'channel_survival') }}
),

final as (
    select
        channel_of,
        channel,
        cast(customers as bigint) as customers,
        cast(lost as bigint) as lost,
        cast(survival_90d as double) as survival_90d,
        cast(at_risk_90d as bigint) as at_risk_90d,
        cast(survival_180d as double) as survival_180d,
        cast(at_risk_180d as bigint) as at_risk_180d,
        cast(survival_365d as double) as survival_365d,
        cast(at_risk_365d as bigint) as at_risk_365d,
        cast(survival_730d as double) as survival_730d,
        cast(at_risk_730d as bigint) as at_risk_730d,
        cast(median_survival_days as double) as median_survival_days,
        cast(logrank_statistic as double) as logrank_statistic,
        cast(logrank_p_value as double) as logrank_p_value,
        cast(scoring_date as date) as scoring_date
    from source
)

select * from final
