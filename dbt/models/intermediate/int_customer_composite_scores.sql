-- score_0_100 of every customer: its component scores weighted by int_score_weights
-- (a prospect counts 0 for RFM), with payment reliability (100 - payment_risk_score)
-- blended in at payment_risk_weight for a customer with invoices, rounded to 1 decimal.
with components as (
    select * from {{ ref('int_customer_score_components') }}
),

weights as (
    select * from {{ ref('int_score_weights') }}
),

final as (
    select
        components.customer_id,
        round(
            {% call with_payment_reliability('components.payment_risk_score') -%}
            weights.rfm_weight * coalesce(components.rfm_score_100, 0)
            + coalesce(weights.behaviour_weight * components.behavioural_score, 0)
            + coalesce(weights.fit_weight * components.fit_score, 0)
            + coalesce(weights.crm_weight * components.crm_signal_score, 0)
            + coalesce(weights.predicted_value_weight * components.predicted_value_score, 0)
            {%- endcall %},
            1
        ) as score_0_100
    from components
    cross join weights
)

select * from final
