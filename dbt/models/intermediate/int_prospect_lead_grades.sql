-- Lead grade of every prospect (a customer without a counted order before the scoring
-- date): fit A-D from fit_score and engagement 1-4 from the behavioural score, by the
-- bands of seed lead_grade_thresholds (a score gets the level with the highest min_score
-- at or below it), e.g. B2, with the action of seed lead_grade_actions. A prospect with no
-- web activity for var lead_stale_days (or none ever) is `stale`, whatever its fit. The
-- fit and behavioural scores are the clamped ones of int_customer_score_components, which
-- customer_scores shows (a dbt test checks it): a missing score counts 0, and without
-- interaction data no prospect is stale.
with customers as (
    select * from {{ ref('int_customers') }}
),

order_summary as (
    select * from {{ ref('int_customer_order_summary') }}
),

components as (
    select * from {{ ref('int_customer_score_components') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

interactions as (
    select * from {{ ref('stg_interactions') }}
    where event_date < {{ scoring_date() }}
),

availability as (
    select * from {{ ref('int_source_availability') }}
),

thresholds as (
    select * from {{ ref('lead_grade_thresholds') }}
),

actions as (
    select * from {{ ref('lead_grade_actions') }}
),

prospects as (
    select customers.customer_id
    from customers
    left join order_summary on customers.customer_id = order_summary.customer_id
    where order_summary.customer_id is null
),

last_activity as (
    select
        identities.customer_id,
        max(interactions.event_date) as last_activity_date
    from interactions
    inner join identities on interactions.customer_ref_key = identities.customer_ref_key
    group by identities.customer_id
),

scored as (
    select
        prospects.customer_id,
        coalesce(components.fit_score, 0) as fit_score,
        coalesce(components.behavioural_score, 0) as behavioural_score,
        last_activity.last_activity_date,
        {{ dbt.datediff('last_activity.last_activity_date', scoring_date(), 'day') }}
            as days_since_activity,
        availability.has_interactions
    from prospects
    cross join availability
    left join components on prospects.customer_id = components.customer_id
    left join last_activity on prospects.customer_id = last_activity.customer_id
),

bands as (
    -- Each level covers min_score up to the next level's min_score (exclusive).
    select
        axis,
        level,
        min_score,
        lead(min_score) over (partition by axis order by min_score) as next_min_score
    from thresholds
),

graded as (
    select
        scored.*,
        fit_bands.level as fit_grade,
        engagement_bands.level as engagement_level,
        scored.has_interactions
        and coalesce(scored.days_since_activity >= {{ var('lead_stale_days') }}, true)
            as is_stale
    from scored
    left join bands as fit_bands
        on
            fit_bands.axis = 'fit'
            and scored.fit_score >= fit_bands.min_score
            and (fit_bands.next_min_score is null or scored.fit_score < fit_bands.next_min_score)
    left join bands as engagement_bands
        on
            engagement_bands.axis = 'engagement'
            and scored.behavioural_score >= engagement_bands.min_score
            and (
                engagement_bands.next_min_score is null
                or scored.behavioural_score < engagement_bands.next_min_score
            )
),

lead_grades as (
    select
        *,
        case when is_stale then 'stale' else fit_grade || engagement_level end as lead_grade
    from graded
),

final as (
    select
        lead_grades.customer_id,
        lead_grades.fit_score,
        lead_grades.behavioural_score,
        lead_grades.last_activity_date,
        lead_grades.days_since_activity,
        lead_grades.fit_grade,
        lead_grades.engagement_level,
        lead_grades.is_stale,
        lead_grades.lead_grade,
        actions.recommended_action as lead_action
    from lead_grades
    left join actions on lead_grades.lead_grade = actions.lead_grade
)

select * from final
