-- The churn bands start at 0, each starts where the previous ends, and only the last is
-- open-ended: every churn probability falls in exactly one band.
with bands as (
    select
        *,
        lag(max_churn_probability) over (order by min_churn_probability) as previous_max,
        row_number() over (order by min_churn_probability desc) as from_top
    from {{ ref('churn_bands') }}
)

select *
from bands
where
    (previous_max is null and min_churn_probability <> 0)
    or (previous_max is not null and previous_max <> min_churn_probability)
    or (from_top = 1 and max_churn_probability is not null)
    or (from_top > 1 and max_churn_probability is null)
