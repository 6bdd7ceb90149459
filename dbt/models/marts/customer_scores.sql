-- One row per customer: RFM values and scores, segment, behavioural, fit and CRM scores,
-- the composite 0-100 score with the reasons behind it, and the lifecycle stage.
-- A component whose source is absent is null and the composite re-weights over the rest.
{%- set lookback = var('rfm_lookback_days') -%}
{%- set lookback_words =
    'in the last ' ~ lookback ~ ' days' if lookback is not none else 'in all history' %}

with customers as (
    select * from {{ ref('int_customers') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

order_summary as (
    select * from {{ ref('int_customer_order_summary') }}
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

lead_grades as (
    select * from {{ ref('int_prospect_lead_grades') }}
),

payment_risk as (
    select * from {{ ref('customer_payment_risk') }}
),

profiles as (
    select * from {{ ref('customer_profiles') }}
),

predictive_groups as (
    select * from {{ ref('customer_predictive_groups') }}
),

raw_weights as (
    select
        {{ score_weight('rfm') }} as rfm,
        {{ score_weight('behaviour') }} * cast(has_interactions as integer) as behaviour,
        {{ score_weight('fit') }} * cast(has_crm_customers as integer) as fit,
        {{ score_weight('crm') }} * cast(has_crm_notes as integer) as crm
    from availability
),

weights as (
    select
        rfm / nullif(rfm + behaviour + fit + crm, 0) as rfm,
        behaviour / nullif(rfm + behaviour + fit + crm, 0) as behaviour,
        fit / nullif(rfm + behaviour + fit + crm, 0) as fit,
        crm / nullif(rfm + behaviour + fit + crm, 0) as crm
    from raw_weights
),

behaviour as (
    select
        customer_id,
        {{ clamp('sum(type_points)') }} as behavioural_score
    from behaviour_by_type
    group by customer_id
),

fit as (
    select
        customer_id,
        {{ clamp('sum(points)') }} as fit_score
    from fit_by_rule
    group by customer_id
),

crm as (
    select
        customer_id,
        {{ clamp(var('crm_neutral_score') ~ ' + sum(decayed_points)') }} as crm_signal_score,
        {{ dbt.listagg('tag', "', '", 'order by tag') }} as crm_tags,
        max(latest_note_date) as latest_note_date
    from note_signals
    group by customer_id
),

factors as (
    select
        rfm.customer_id,
        weights.rfm * (rfm.r_score - 1) / 12 * 100 as contribution,
        'bought ' || rfm.recency_days || ' days ago (R=' || rfm.r_score || ')' as reason
    from rfm cross join weights
    union all
    select
        rfm.customer_id,
        weights.rfm * (rfm.f_score - 1) / 12 * 100 as contribution,
        rfm.frequency || ' orders {{ lookback_words }} (F=' || rfm.f_score || ')' as reason
    from rfm cross join weights
    union all
    select
        rfm.customer_id,
        weights.rfm * (rfm.m_score - 1) / 12 * 100 as contribution,
        'spent ' || cast(round(rfm.monetary) as bigint) || ' {{ lookback_words }} (M='
        || rfm.m_score || ')' as reason
    from rfm cross join weights
    union all
    select
        behaviour_by_type.customer_id,
        weights.behaviour * behaviour_by_type.type_points as contribution,
        behaviour_by_type.events || ' ' || behaviour_by_type.reason_label
        || ' in the last {{ var("behaviour_lookback_days") }} days' as reason
    from behaviour_by_type cross join weights
    union all
    select
        fit_by_rule.customer_id,
        weights.fit * fit_by_rule.points as contribution,
        fit_by_rule.description as reason
    from fit_by_rule cross join weights
    union all
    select
        note_signals.customer_id,
        weights.crm * note_signals.decayed_points as contribution,
        note_signals.reason_label || ' on ' || {{ date_text('note_signals.latest_note_date') }}
            as reason
    from note_signals cross join weights
),

reasons as (
    select
        customer_id,
        {{ dbt.listagg(
            'reason', "'; '", 'order by abs(contribution) desc, reason', var('score_reason_count')
        ) }} as score_reasons
    from factors
    where contribution <> 0
    group by customer_id
),

components as (
    select
        customers.customer_id,
        case when availability.has_interactions then coalesce(behaviour.behavioural_score, 0) end
            as behavioural_score,
        case when availability.has_crm_customers then coalesce(fit.fit_score, 0) end as fit_score,
        case
            when availability.has_crm_notes
                then coalesce(crm.crm_signal_score, {{ var('crm_neutral_score') }})
        end as crm_signal_score
    from customers
    cross join availability
    left join behaviour on customers.customer_id = behaviour.customer_id
    left join fit on customers.customer_id = fit.customer_id
    left join crm on customers.customer_id = crm.customer_id
),

final as (
    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.country,
        customers.is_guest,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm.rfm_score_100,
        segments.segment,
        segments.value_tier,
        segments.recommended_action,
        components.behavioural_score,
        components.fit_score,
        components.crm_signal_score,
        crm.crm_tags,
        crm.latest_note_date,
        round(
            {% call with_payment_reliability('payment_risk.payment_risk_score') -%}
            weights.rfm * coalesce(rfm.rfm_score_100, 0)
            + coalesce(weights.behaviour * components.behavioural_score, 0)
            + coalesce(weights.fit * components.fit_score, 0)
            + coalesce(weights.crm * components.crm_signal_score, 0)
            {%- endcall %},
            1
        ) as score_0_100,
        coalesce(reasons.score_reasons, 'no order, activity or signal before the scoring date')
            as score_reasons,
        case
            when order_summary.customer_id is null then 'prospect'
            when order_summary.recency_days >= {{ var('churn_days') }} then 'churned'
            when
                {{ dbt.datediff('order_summary.first_order_date', scoring_date(), 'day') }}
                <= {{ var('new_customer_days') }} then 'new'
            when order_summary.recency_days >= {{ var('lapsing_days') }} then 'lapsing'
            else 'active'
        end as lifecycle_stage,
        order_summary.first_order_date,
        order_summary.last_order_date,
        coalesce(order_summary.orders_total, 0) as orders_total,
        coalesce(order_summary.net_revenue_total, 0) as net_revenue_total,
        coalesce(order_summary.orders_recent, 0) as orders_last_365d,
        coalesce(order_summary.net_revenue_recent, 0) as revenue_last_365d,
        predictions.p_alive,
        predictions.churn_probability,
        predictions.churn_band,
        predictions.expected_orders_90d,
        predictions.expected_orders_365d,
        predictions.p_order_90d,
        predictions.expected_next_order_date,
        predictions.expected_order_value,
        predictions.clv_12m,
        lead_grades.lead_grade,
        lead_grades.lead_action,
        payment_risk.payment_risk_score,
        payment_risk.payment_risk_band,
        payment_risk.overdue_amount,
        payment_risk.payment_risk_reasons,
        profiles.top_category,
        profiles.reaction_type,
        profiles.dominant_channel,
        predictive_groups.predictive_group,
        {{ scoring_date() }} as scoring_date
    from customers
    cross join weights
    inner join segments on customers.customer_id = segments.customer_id
    inner join components on customers.customer_id = components.customer_id
    left join rfm on customers.customer_id = rfm.customer_id
    left join order_summary on customers.customer_id = order_summary.customer_id
    left join crm on customers.customer_id = crm.customer_id
    left join reasons on customers.customer_id = reasons.customer_id
    left join predictions on customers.customer_id = predictions.customer_id
    left join lead_grades on customers.customer_id = lead_grades.customer_id
    left join payment_risk on customers.customer_id = payment_risk.customer_id
    left join profiles on customers.customer_id = profiles.customer_id
    left join predictive_groups on customers.customer_id = predictive_groups.customer_id
)

select * from final
