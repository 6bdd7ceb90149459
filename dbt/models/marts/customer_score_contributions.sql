-- Why each customer has their score: one row per customer and signal (see
-- int_customer_score_contributions), published for BI. A customer's contributions sum to
-- their score_0_100 in customer_scores.
with contributions as (
    select * from {{ ref('int_customer_score_contributions') }}
),

final as (
    select
        *,
        {{ scoring_date() }} as scoring_date
    from contributions
)

select * from final
