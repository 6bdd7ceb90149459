-- Each signal's contribution to score_0_100: its points x the weight of its component for
-- this customer (int_score_weights, times 1 - payment_risk_weight for a customer with a
-- payment-risk score, whose payment reliability takes payment_risk_weight). The predicted
-- value and payment reliability appear only when their weight is above 0. A last row per
-- customer, `rounding`, holds score_0_100 minus the sum of the others (the rounding of the
-- score to 1 decimal and of rfm_score_100 to 2): a customer's contributions sum to the score.
with signals as (
    select * from {{ ref('int_customer_score_signals') }}
),

components as (
    select * from {{ ref('int_customer_score_components') }}
),

composite as (
    select * from {{ ref('int_customer_composite_scores') }}
),

weights as (
    select * from {{ ref('int_score_weights') }}
),

weighted as (
    select
        signals.*,
        case signals.component
            when 'rfm' then components.rfm_score_100
            when 'behaviour' then components.behavioural_score
            when 'fit' then components.fit_score
            when 'crm' then components.crm_signal_score
            when 'predicted_value' then components.predicted_value_score
            when 'payment_reliability' then 100 - components.payment_risk_score
        end as component_score,
        case
            when signals.component = 'payment_reliability' then weights.payment_reliability_weight
            else
                case signals.component
                    when 'rfm' then weights.rfm_weight
                    when 'behaviour' then weights.behaviour_weight
                    when 'fit' then weights.fit_weight
                    when 'crm' then weights.crm_weight
                    when 'predicted_value' then weights.predicted_value_weight
                end
                * (
                    1 - case
                        when components.payment_risk_score is null then 0
                        else weights.payment_reliability_weight
                    end
                )
        end as component_weight
    from signals
    inner join components on signals.customer_id = components.customer_id
    cross join weights
),

kept as (
    select
        *,
        component_weight * points as contribution
    from weighted
    where
        component not in ('predicted_value', 'payment_reliability')
        or component_weight > 0
),

rounding as (
    select
        composite.customer_id,
        composite.score_0_100 - coalesce(sum(kept.contribution), 0) as contribution
    from composite
    left join kept on composite.customer_id = kept.customer_id
    group by composite.customer_id, composite.score_0_100
),

final as (
    select
        customer_id,
        component,
        signal,
        raw_value,
        decayed_value,
        points_before_decay,
        points_before_cap,
        points,
        component_score,
        component_weight,
        contribution,
        reason
    from kept
    union all
    select
        customer_id,
        'rounding' as component,
        'score_rounded_to_1_decimal' as signal,
        null as raw_value,
        null as decayed_value,
        null as points_before_decay,
        null as points_before_cap,
        null as points,
        null as component_score,
        null as component_weight,
        contribution,
        null as reason
    from rounding
    -- Not float noise: the sum of the contributions runs in a different order on each
    -- engine, leaving residuals of 1e-14 on one where the other has 0.
    where abs(contribution) > 1e-9
)

select * from final
