-- The weights of the composite score (one row), after re-weighting for absent sources:
-- the score_weights (rfm, behaviour, fit, crm; they sum to 1) share 1 -
-- predicted_value_weight and the predicted value takes predicted_value_weight; a component
-- whose source has no data at all (no interactions, CRM customers, CRM notes or
-- predictions) gets 0 and the others are scaled up to sum to 1 again. Payment reliability
-- is blended in per customer afterwards, at payment_risk_weight.
{%- set predicted = predicted_value_weight() | trim %}

with availability as (
    select * from {{ ref('int_source_availability') }}
),

predictions as (
    select * from {{ ref('customer_predictions') }}
),

raw_weights as (
    select
        {{ score_weight('rfm') }} * (1 - {{ predicted }}) as rfm,
        {{ score_weight('behaviour') }} * (1 - {{ predicted }})
        * cast(has_interactions as integer) as behaviour,
        {{ score_weight('fit') }} * (1 - {{ predicted }})
        * cast(has_crm_customers as integer) as fit,
        {{ score_weight('crm') }} * (1 - {{ predicted }})
        * cast(has_crm_notes as integer) as crm,
        {{ predicted }}
        * case when (select count(*) from predictions) > 0 then 1 else 0 end as predicted_value
    from availability
),

final as (
    select
        rfm / nullif(rfm + behaviour + fit + crm + predicted_value, 0) as rfm_weight,
        behaviour / nullif(rfm + behaviour + fit + crm + predicted_value, 0) as behaviour_weight,
        fit / nullif(rfm + behaviour + fit + crm + predicted_value, 0) as fit_weight,
        crm / nullif(rfm + behaviour + fit + crm + predicted_value, 0) as crm_weight,
        predicted_value / nullif(rfm + behaviour + fit + crm + predicted_value, 0)
            as predicted_value_weight,
        cast({{ payment_risk_weight() | trim }} as double) as payment_reliability_weight
    from raw_weights
)

select * from final
