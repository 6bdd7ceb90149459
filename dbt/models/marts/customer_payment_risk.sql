-- One row per customer with an invoice before the scoring date: the payment facts, the
-- payment-risk score (0-100, the sum of the capped points of seed payment_risk_points),
-- its band and recommended action (seed payment_risk_bands), and the reasons in words
-- (the payment_reason_count signals that earn the most points).
with facts as (
    select * from {{ ref('int_customer_payment_facts') }}
),

signals as (
    select * from {{ ref('int_customer_payment_signals') }}
),

bands as (
    select * from {{ ref('payment_risk_bands') }}
),

ranked_signals as (
    select
        customer_id,
        reason,
        row_number() over (
            partition by customer_id order by signal_points desc, reason asc
        ) as reason_rank
    from signals
    where signal_points > 0
),

reasons as (
    select
        customer_id,
        {{ dbt.listagg('reason', "'; '", 'order by reason_rank') }} as payment_risk_reasons
    from ranked_signals
    where reason_rank <= {{ var('payment_reason_count') }}
    group by customer_id
),

scores as (
    select
        facts.customer_id,
        {{ round_decimal(clamp('coalesce(sum(signals.signal_points), 0)'), 1) }}
            as payment_risk_score
    from facts
    left join signals on facts.customer_id = signals.customer_id
    group by facts.customer_id
),

final as (
    select
        facts.*,
        facts.payment_trend_days >= {{ var('payment_trend_flag_days') }} as is_paying_later,
        scores.payment_risk_score,
        bands.payment_risk_band,
        bands.priority as payment_risk_priority,
        case
            when facts.overdue_amount > 0 then bands.recommended_payment_action
            else bands.action_when_nothing_overdue
        end as recommended_payment_action,
        coalesce(reasons.payment_risk_reasons, 'pays on time, nothing overdue')
            as payment_risk_reasons,
        {{ scoring_date() }} as scoring_date
    from facts
    inner join scores on facts.customer_id = scores.customer_id
    inner join bands
        on
            scores.payment_risk_score >= bands.min_score
            and (bands.max_score is null or scores.payment_risk_score < bands.max_score)
    left join reasons on facts.customer_id = reasons.customer_id
)

select * from final
