{{ config(meta={'dagster': {'ref': {'name': 'customer_scores'}}}) }}
-- Lead grades use the scores customer_scores shows: every prospect's fit and behavioural
-- scores in int_prospect_lead_grades equal those of customer_scores (0 for a missing one),
-- and exactly the prospects have a lead grade.
with scores as (
    select * from {{ ref('customer_scores') }}
),

grades as (
    select * from {{ ref('int_prospect_lead_grades') }}
),

final as (
    select
        scores.customer_id,
        scores.lifecycle_stage,
        scores.fit_score,
        grades.fit_score as graded_fit_score,
        scores.behavioural_score,
        grades.behavioural_score as graded_behavioural_score
    from scores
    full outer join grades on scores.customer_id = grades.customer_id
)

select * from final
where
    (coalesce(lifecycle_stage, '') = 'prospect') <> (graded_fit_score is not null)
    or coalesce(fit_score, 0) <> graded_fit_score
    or coalesce(behavioural_score, 0) <> graded_behavioural_score
