-- One row per customer: the score of each component of the composite, clamped to 0-100
-- (on the sums of the customers with signals: greatest() skips nulls), beside the
-- unclamped sum of its signals' points (the clamp shows as a contribution).
-- A component whose source has no data at all is null. A customer without orders counts
-- 0 for RFM and for the predicted value; without signals behaviour and fit count 0 and
-- the CRM signal is crm_neutral_score. The predicted value is 100 x the percent rank of
-- clv_12m among the customers with a prediction (lowest 0, highest 100; ties share it).
with customers as (
    select * from {{ ref('int_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

behaviour_by_type as (
    select * from {{ ref('int_customer_behaviour_by_type') }}
),

fit_by_rule as (
    select * from {{ ref('int_customer_fit_by_rule') }}
),

note_signals as (
    select * from {{ ref('int_customer_note_signals') }}
),

availability as (
    select * from {{ ref('int_source_availability') }}
),

predictions as (
    select * from {{ ref('customer_predictions') }}
),

payment_risk as (
    select * from {{ ref('customer_payment_risk') }}
),

behaviour as (
    select
        customer_id,
        sum(type_points) as behaviour_points,
        {{ clamp('sum(type_points)') }} as behavioural_score
    from behaviour_by_type
    group by customer_id
),

fit as (
    select
        customer_id,
        sum(points) as fit_points,
        {{ clamp('sum(points)') }} as fit_score
    from fit_by_rule
    group by customer_id
),

crm as (
    select
        customer_id,
        sum(decayed_points) as crm_points,
        {{ clamp(var('crm_neutral_score') ~ ' + sum(decayed_points)') }} as crm_signal_score,
        {{ dbt.listagg('tag', "', '", 'order by tag') }} as crm_tags,
        max(latest_note_date) as latest_note_date
    from note_signals
    group by customer_id
),

predicted_value as (
    select
        customer_id,
        clv_12m,
        100 * percent_rank() over (order by clv_12m) as predicted_value_score
    from predictions
    where clv_12m is not null
),

final as (
    select
        customers.customer_id,
        rfm.rfm_score_100,
        case when availability.has_interactions then coalesce(behaviour.behaviour_points, 0) end
            as behaviour_points,
        case when availability.has_interactions then coalesce(behaviour.behavioural_score, 0) end
            as behavioural_score,
        case when availability.has_crm_customers then coalesce(fit.fit_points, 0) end
            as fit_points,
        case when availability.has_crm_customers then coalesce(fit.fit_score, 0) end as fit_score,
        case when availability.has_crm_notes then coalesce(crm.crm_points, 0) end as crm_points,
        case
            when availability.has_crm_notes
                then coalesce(crm.crm_signal_score, {{ var('crm_neutral_score') }})
        end as crm_signal_score,
        crm.crm_tags,
        crm.latest_note_date,
        predicted_value.clv_12m,
        case
            when (select count(*) from predictions) > 0
                then coalesce(predicted_value.predicted_value_score, 0)
        end as predicted_value_score,
        payment_risk.payment_risk_score
    from customers
    cross join availability
    left join rfm on customers.customer_id = rfm.customer_id
    left join behaviour on customers.customer_id = behaviour.customer_id
    left join fit on customers.customer_id = fit.customer_id
    left join crm on customers.customer_id = crm.customer_id
    left join predicted_value on customers.customer_id = predicted_value.customer_id
    left join payment_risk on customers.customer_id = payment_risk.customer_id
)

select * from final
