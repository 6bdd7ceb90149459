-- BG/NBD needs 0 <= recency <= T: the last purchase day is before the scoring date.
select
    customer_id,
    recency_days,
    tenure_days
from {{ ref('customer_value_features') }}
where recency_days >= tenure_days
