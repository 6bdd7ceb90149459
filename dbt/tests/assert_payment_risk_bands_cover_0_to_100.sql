-- The bands of seed payment_risk_bands cover every payment-risk score from 0 to 100 without
-- gap or overlap: sorted by min_score, the first band starts at 0, each band starts where
-- the previous one ends, only the last band is open (empty max_score), and the priorities
-- run from the top band (1) down.
with bands as (
    select
        payment_risk_band,
        min_score,
        max_score,
        priority,
        lag(max_score) over (order by min_score) as previous_max_score,
        row_number() over (order by min_score) as band_number,
        count(*) over () as bands
    from {{ ref('payment_risk_bands') }}
),

checked as (
    select
        *,
        case
            when band_number = 1 and min_score <> 0 then 'first band does not start at 0'
            when band_number > 1 and previous_max_score is null then 'band after an open band'
            when band_number > 1 and min_score <> previous_max_score
                then 'gap or overlap with the previous band'
            when max_score is not null and max_score <= min_score then 'empty band'
            when band_number = bands and max_score is not null
                then 'last band must be open (empty max_score)'
            when priority <> bands - band_number + 1
                then 'priorities must run from 1 (highest band) down'
        end as problem
    from bands
)

select * from checked
where problem is not null
