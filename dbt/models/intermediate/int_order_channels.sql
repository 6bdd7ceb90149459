-- The channel of every order before the scoring date: the channel of its earliest line
-- (lowest line number on ties); 'unknown' when the file gives none.
with lines as (
    select * from {{ ref('stg_transactions') }}
    where order_date < {{ scoring_date() }}
),

ranked as (
    select
        order_id,
        coalesce(channel, 'unknown') as channel,
        row_number() over (
            partition by order_id order by ordered_at asc, order_line asc
        ) as line_rank
    from lines
),

final as (
    select
        order_id,
        channel
    from ranked
    where line_rank = 1
)

select * from final
