{{ config(meta={'dagster': {'ref': {'name': 'customer_segment_history'}}}) }}
-- For the scoring date just built, customer_segment_history holds exactly the customers of
-- customer_scores, with the same segment and score. A row left over from an earlier run
-- of the same date (e.g. a guest since matched to a CRM customer) is returned.
with history as (
    select
        customer_id,
        segment,
        score_0_100
    from {{ ref('customer_segment_history') }}
    where scoring_date = {{ scoring_date() }}
),

scores as (
    select
        customer_id,
        segment,
        score_0_100
    from {{ ref('customer_scores') }}
)

select
    coalesce(history.customer_id, scores.customer_id) as customer_id,
    history.segment as history_segment,
    scores.segment as scores_segment,
    case
        when scores.customer_id is null then 'in history, not in customer_scores'
        when history.customer_id is null then 'in customer_scores, not in history'
        else 'segment or score differs'
    end as problem
from history
full outer join scores on history.customer_id = scores.customer_id
where
    history.customer_id is null
    or scores.customer_id is null
    or history.segment is distinct from scores.segment
    or history.score_0_100 is distinct from scores.score_0_100
