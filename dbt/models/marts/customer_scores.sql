-- One row per customer: RFM values and scores, segment, behavioural, fit and CRM scores,
-- the composite 0-100 score with the reasons behind it, and the lifecycle stage. Each part
-- is an intermediate model: component scores, weights, composite, contributions (published
-- as customer_score_contributions), reasons and lifecycle stages.

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

components as (
    select * from {{ ref('int_customer_score_components') }}
),

composite as (
    select * from {{ ref('int_customer_composite_scores') }}
),

reasons as (
    select * from {{ ref('int_customer_score_reasons') }}
),

lifecycle as (
    select * from {{ ref('int_customer_lifecycle_stages') }}
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
        components.crm_tags,
        components.latest_note_date,
        composite.score_0_100,
        coalesce(reasons.score_reasons, 'no order, activity or signal before the scoring date')
            as score_reasons,
        lifecycle.lifecycle_stage,
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
    inner join segments on customers.customer_id = segments.customer_id
    inner join components on customers.customer_id = components.customer_id
    inner join composite on customers.customer_id = composite.customer_id
    inner join lifecycle on customers.customer_id = lifecycle.customer_id
    left join rfm on customers.customer_id = rfm.customer_id
    left join order_summary on customers.customer_id = order_summary.customer_id
    left join reasons on customers.customer_id = reasons.customer_id
    left join predictions on customers.customer_id = predictions.customer_id
    left join lead_grades on customers.customer_id = lead_grades.customer_id
    left join payment_risk on customers.customer_id = payment_risk.customer_id
    left join profiles on customers.customer_id = profiles.customer_id
    left join predictive_groups on customers.customer_id = predictive_groups.customer_id
)

select * from final
