-- Every signal behind each customer's component scores, one row per customer, component
-- and signal, with its raw value and its points on the component's 0-100 scale: R, F and
-- M ((score - 1) / 12 x 100 each), each event type (points after decay and cap), each fit
-- rule met, each CRM-note tag (after decay), plus the rows that make a component add up:
-- the CRM neutral score and the clamp of a component to 0-100; and the predicted value
-- and payment reliability (counted only when their weight is above 0). No weights here.
{%- set lookback = var('rfm_lookback_days') -%}
{%- set lookback_words =
    'in the last ' ~ lookback ~ ' days' if lookback is not none else 'in all history' %}

with rfm as (
    select * from {{ ref('customer_rfm') }}
),

behaviour_by_type as (
    select * from {{ ref('int_customer_behaviour_by_type') }}
),

grid as (
    select * from {{ ref('behaviour_points') }}
),

fit_by_rule as (
    select * from {{ ref('int_customer_fit_by_rule') }}
),

note_signals as (
    select * from {{ ref('int_customer_note_signals') }}
),

components as (
    select * from {{ ref('int_customer_score_components') }}
),

rfm_dimensions as (
    select
        customer_id,
        'recency' as signal,
        recency_days as raw_value,
        r_score as dimension_score,
        {{ dbt.concat(["'bought '", as_text('recency_days'), "' days ago (R='",
            as_text('r_score'), "')'"]) }} as reason
    from rfm
    union all
    select
        customer_id,
        'frequency' as signal,
        frequency as raw_value,
        f_score as dimension_score,
        {{ dbt.concat([as_text('frequency'),
            "case when frequency = 1 then ' order ' else ' orders ' end",
            "'" ~ lookback_words ~ " (F='", as_text('f_score'), "')'"]) }} as reason
    from rfm
    union all
    select
        customer_id,
        'monetary' as signal,
        monetary as raw_value,
        m_score as dimension_score,
        {{ dbt.concat(["'spent '", as_text('cast(round(monetary) as bigint)'),
            "' " ~ lookback_words ~ " (M='", as_text('m_score'), "')'"]) }} as reason
    from rfm
),

signals as (
    select
        customer_id,
        'rfm' as component,
        signal,
        cast(raw_value as double) as raw_value,
        cast(null as double) as decayed_value,
        (dimension_score - 1) / 12 * 100 as points_before_decay,
        (dimension_score - 1) / 12 * 100 as points_before_cap,
        (dimension_score - 1) / 12 * 100 as points,
        reason
    from rfm_dimensions
    union all
    select
        behaviour_by_type.customer_id,
        'behaviour' as component,
        behaviour_by_type.event_type as signal,
        behaviour_by_type.events as raw_value,
        behaviour_by_type.decayed_points / nullif(grid.points, 0) as decayed_value,
        behaviour_by_type.events * grid.points as points_before_decay,
        behaviour_by_type.decayed_points as points_before_cap,
        behaviour_by_type.type_points as points,
        {{ dbt.concat([as_text('behaviour_by_type.events'), "' '", 'behaviour_by_type.reason_label',
            "' in the last " ~ var('behaviour_lookback_days') ~ " days'"]) }} as reason
    from behaviour_by_type
    inner join grid on behaviour_by_type.event_type = grid.event_type
    union all
    select
        customer_id,
        'fit' as component,
        rule_id as signal,
        null as raw_value,
        null as decayed_value,
        points as points_before_decay,
        points as points_before_cap,
        points,
        description as reason
    from fit_by_rule
    union all
    select
        customer_id,
        'crm' as component,
        tag as signal,
        notes as raw_value,
        decayed_notes as decayed_value,
        undecayed_points as points_before_decay,
        decayed_points as points_before_cap,
        decayed_points as points,
        {{ dbt.concat(['reason_label', "' on '", as_text('latest_note_date')]) }} as reason
    from note_signals
    union all
    select
        customer_id,
        'crm' as component,
        'neutral_score' as signal,
        null as raw_value,
        null as decayed_value,
        {{ var('crm_neutral_score') }} as points_before_decay,
        {{ var('crm_neutral_score') }} as points_before_cap,
        {{ var('crm_neutral_score') }} as points,
        null as reason
    from components
    where crm_signal_score is not null
),

clamps as (
    -- What bounding a component to 0-100 took off (or added), where its sum is outside.
    select
        customer_id,
        'behaviour' as component,
        behavioural_score - behaviour_points as points
    from components
    where behaviour_points not between 0 and 100
    union all
    select
        customer_id,
        'fit' as component,
        fit_score - fit_points as points
    from components
    where fit_points not between 0 and 100
    union all
    select
        customer_id,
        'crm' as component,
        crm_signal_score - ({{ var('crm_neutral_score') }} + crm_points) as points
    from components
    where {{ var('crm_neutral_score') }} + crm_points not between 0 and 100
),

optional_components as (
    select
        customer_id,
        'predicted_value' as component,
        'clv_12m' as signal,
        clv_12m as raw_value,
        predicted_value_score as points,
        {{ dbt.concat(["'expected margin '", as_text('cast(round(clv_12m) as bigint)'),
            "' in 12 months (percentile '",
            as_text('cast(round(predicted_value_score) as bigint)'), "')'"]) }} as reason
    from components
    where clv_12m is not null
    union all
    select
        customer_id,
        'payment_reliability' as component,
        'payment_risk_score' as signal,
        payment_risk_score as raw_value,
        100 - payment_risk_score as points,
        {{ dbt.concat(["'payment risk '", as_text('payment_risk_score'), "'/100'"]) }} as reason
    from components
    where payment_risk_score is not null
),

final as (
    select * from signals
    union all
    select
        customer_id,
        component,
        'clamp_to_0_100' as signal,
        null as raw_value,
        null as decayed_value,
        null as points_before_decay,
        null as points_before_cap,
        points,
        null as reason
    from clamps
    union all
    select
        customer_id,
        component,
        signal,
        raw_value,
        null as decayed_value,
        points as points_before_decay,
        points as points_before_cap,
        points,
        reason
    from optional_components
)

select * from final
