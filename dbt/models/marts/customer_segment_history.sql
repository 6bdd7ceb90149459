-- One row per customer per scoring date, appended: running for a new date adds its rows,
-- re-running a date replaces that date's rows only, so earlier dates are kept.
-- Rows of past scoring dates: --full-refresh keeps them (re-run a date to rebuild it).
{{
    config(
        materialized='incremental',
        unique_key='scoring_date',
        incremental_strategy=history_incremental_strategy(),
        partition_by=history_partition_by(),
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}

with scores as (
    select * from {{ ref('customer_scores') }}
),

final as (
    select
        scoring_date,
        customer_id,
        segment,
        value_tier,
        lifecycle_stage,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        score_0_100,
        -- For segment_kpis (revenue, orders) and score_calibration (every score's deciles).
        frequency,
        monetary,
        rfm_score_100,
        behavioural_score,
        -- For segment_kpis (the segment's average churn probability and CLV on each date).
        churn_probability,
        clv_12m
    from scores
)

select * from final
