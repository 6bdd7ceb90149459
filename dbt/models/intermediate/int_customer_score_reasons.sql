-- The main reasons behind each customer's score, in words: the score_reason_count signals
-- of int_customer_score_contributions with the largest contribution (in absolute value,
-- ties by the words), biggest first, separated by "; ". Rows without words (neutral
-- score, clamps, rounding) and signals that contribute nothing are not reasons.
with contributions as (
    select * from {{ ref('int_customer_score_contributions') }}
    where reason is not null and contribution <> 0
),

ranked as (
    select
        customer_id,
        reason,
        row_number() over (
            partition by customer_id order by abs(contribution) desc, reason asc
        ) as reason_rank
    from contributions
),

final as (
    select
        customer_id,
        {{ dbt.listagg('reason', "'; '", 'order by reason_rank') }} as score_reasons
    from ranked
    where reason_rank <= {{ var('score_reason_count') }}
    group by customer_id
)

select * from final
