-- BG/NBD needs 0 <= recency <= T: the last calibration purchase day is before the cutoff.
select
    customer_id,
    recency_days,
    tenure_days
from {{ ref('customer_value_backtest_features') }}
where recency_days >= tenure_days
