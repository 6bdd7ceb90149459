-- BG/NBD needs 0 <= recency <= T: the last purchase day is before the scoring date (or
-- the backtest cutoff).
select 'features' as model, customer_id, recency_days, tenure_days
from {{ ref('customer_value_features') }}
where recency_days >= tenure_days
union all
select 'backtest' as model, customer_id, recency_days, tenure_days
from {{ ref('customer_value_backtest_features') }}
where recency_days >= tenure_days
