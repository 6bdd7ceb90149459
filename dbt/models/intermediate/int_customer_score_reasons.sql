-- The main reasons behind each customer's score, in words: the score_reason_count signals
-- of int_customer_score_contributions with the largest contribution (in absolute value,
-- ties by the words), biggest first, separated by "; ". Rows without words (neutral
-- score, clamps, rounding) are not reasons, nor are signals that contribute nothing, unless
-- nothing contributes: then what is known earned nothing, and that is why the score is low
-- (a buyer of one small order two years ago: R=1, F=1, M=1).
with worded as (
    select
        *,
        max(case when contribution <> 0 then 1 else 0 end)
            over (partition by customer_id) as has_contribution
    from {{ ref('int_customer_score_contributions') }}
    where reason is not null
),

contributions as (
    select * from worded
    where contribution <> 0 or has_contribution = 0
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
