-- Top score decile orders more than the bottom one: on the latest calibrated scoring date,
-- each score whose highest decile ordered no more often than its lowest (a warning: the
-- score did not predict buying over the calibration horizon).
{{ config(severity='warn') }}

with calibration as (
    select * from {{ ref('score_calibration') }}
),

latest_date as (
    select max(scoring_date) as scoring_date from calibration
),

latest as (
    select calibration.*
    from calibration
    inner join latest_date on calibration.scoring_date = latest_date.scoring_date
),

final as (
    select
        scoring_date,
        score_name,
        max(case when decile = 10 then ordered_share end) as top_decile_ordered_share,
        max(case when decile = 1 then ordered_share end) as bottom_decile_ordered_share
    from latest
    group by scoring_date, score_name
)

select * from final
where top_decile_ordered_share <= bottom_decile_ordered_share
