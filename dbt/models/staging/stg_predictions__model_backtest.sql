-- The purchase model's backtest as the backtest asset wrote it: one row per scoring date
-- and predictor, kept for every date run (a rerun of a date replaces its rows).
with source as (
    select * from {{ source('predictions', 'model_backtest') }}
),

final as (
    select
        cast(scoring_date as date) as scoring_date,
        model as predictor,
        model_version,
        cast(cutoff_date as date) as cutoff_date,
        cast(holdout_days as bigint) as holdout_days,
        cast(customers as bigint) as customers,
        cast(mean_absolute_error as double) as mean_absolute_error,
        cast(predicted_orders as double) as predicted_orders,
        cast(actual_orders as double) as actual_orders,
        cast(share_ordered_again as double) as share_ordered_again,
        cast(mean_p_order as double) as mean_p_order,
        cast(brier_p_order as double) as brier_p_order,
        cast(mean_p_alive as double) as mean_p_alive,
        cast(mean_p_alive_ordered_again as double) as mean_p_alive_ordered_again,
        cast(mean_p_alive_not_ordered as double) as mean_p_alive_not_ordered,
        calibration_by_decile
    from source
)

select * from final
