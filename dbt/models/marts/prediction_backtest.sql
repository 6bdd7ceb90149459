-- How well the customer-base model predicted, date after date: for every scoring date run
-- (up to this one), the purchase model and the naive baseline on the same holdout, side by
-- side, with whether the model beat the baseline on mean absolute error that date.
with backtest as (
    select * from {{ ref('stg_predictions__model_backtest') }}
    where scoring_date <= {{ scoring_date() }}
),

baseline as (
    select
        scoring_date,
        mean_absolute_error as baseline_mean_absolute_error
    from backtest
    where predictor = 'naive_rate'
),

final as (
    select
        backtest.scoring_date,
        backtest.predictor,
        backtest.model_version,
        backtest.cutoff_date,
        backtest.holdout_days,
        backtest.customers,
        backtest.mean_absolute_error,
        backtest.predicted_orders,
        backtest.actual_orders,
        backtest.share_ordered_again,
        backtest.mean_p_order,
        backtest.brier_p_order,
        backtest.mean_p_alive,
        backtest.mean_p_alive_ordered_again,
        backtest.mean_p_alive_not_ordered,
        backtest.calibration_by_decile,
        backtest.mean_absolute_error < baseline.baseline_mean_absolute_error
            as beats_baseline
    from backtest
    left join baseline on backtest.scoring_date = baseline.scoring_date
)

select * from final
