-- Every scoring date's predictive group of every buyer, with what was forecast, appended:
-- running a new date adds its rows, re-running a date replaces that date's rows only. The
-- backtest compares a past date's forecast with what happened since.
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

with groups as (
    select * from {{ ref('customer_predictive_groups') }}
),

final as (
    select
        scoring_date,
        customer_id,
        predictive_group,
        group_number,
        purchase_probability,
        expected_orders,
        expected_revenue
    from groups
)

select * from final
