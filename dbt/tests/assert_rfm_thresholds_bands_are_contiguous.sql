-- The bands of seed rfm_thresholds (used when rfm_scoring_method is threshold) cover every
-- value from 0 up without gap or overlap: per dimension, sorted by min_value, the first band
-- starts at 0, each band starts where the previous one ends, only the last band is open
-- (empty max_value), there are 5 bands and the scores run 1..5 (recency: 5..1, since
-- fewer days since the last order is better).
with bands as (
    select
        dimension,
        score,
        min_value,
        max_value,
        lag(max_value) over (partition by dimension order by min_value) as previous_max_value,
        row_number() over (partition by dimension order by min_value) as band_number,
        count(*) over (partition by dimension) as bands
    from {{ ref('rfm_thresholds') }}
),

checked as (
    select
        *,
        case
            when bands <> 5 then 'dimension has ' || bands || ' bands, expected 5'
            when band_number = 1 and min_value <> 0 then 'first band does not start at 0'
            when band_number > 1 and previous_max_value is null then 'band after an open band'
            when band_number > 1 and min_value <> previous_max_value
                then 'gap or overlap with the previous band'
            when max_value is not null and max_value <= min_value then 'empty band'
            when band_number = bands and max_value is not null
                then 'last band must be open (empty max_value)'
            when dimension = 'recency' and score <> 6 - band_number
                then 'recency scores must run 5..1 as days grow'
            when dimension <> 'recency' and score <> band_number
                then 'scores must run 1..5 as values grow'
        end as problem
    from bands
)

select * from checked
where problem is not null
