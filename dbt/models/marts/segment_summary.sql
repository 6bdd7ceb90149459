-- One row per segment: size, share, revenue in the RFM window, average order value and
-- average scores. Every segment of the seed appears, empty ones with zero customers.
with scores as (
    select * from {{ ref('customer_scores') }}
),

definitions as (
    select * from {{ ref('segment_definitions') }}
),

availability as (
    select * from {{ ref('int_source_availability') }}
),

per_segment as (
    select
        segment,
        count(*) as customers,
        sum(coalesce(monetary, 0)) as revenue,
        sum(coalesce(frequency, 0)) as orders,
        avg(monetary) as avg_monetary,
        avg(r_score) as avg_r_score,
        avg(f_score) as avg_f_score,
        avg(m_score) as avg_m_score,
        avg(score_0_100) as avg_score_0_100,
        avg(behavioural_score) as avg_behavioural_score,
        sum(overdue_amount) as overdue_amount
    from scores
    group by segment
),

final as (
    select
        definitions.segment,
        definitions.value_tier,
        definitions.recommended_action,
        coalesce(per_segment.customers, 0) as customers,
        round(
            coalesce(per_segment.customers, 0) / (select count(*) from scores), 4
        ) as share,
        coalesce(per_segment.revenue, 0) as revenue,
        coalesce(per_segment.orders, 0) as orders,
        round(per_segment.revenue / nullif(per_segment.orders, 0), 2) as average_order_value,
        round(per_segment.avg_monetary, 2) as avg_monetary,
        round(per_segment.avg_r_score, 2) as avg_r_score,
        round(per_segment.avg_f_score, 2) as avg_f_score,
        round(per_segment.avg_m_score, 2) as avg_m_score,
        round(per_segment.avg_score_0_100, 1) as avg_score_0_100,
        round(per_segment.avg_behavioural_score, 1) as avg_behavioural_score,
        -- Null without an invoices source; 0 for a segment whose customers owe nothing overdue.
        case when availability.has_invoices then coalesce(per_segment.overdue_amount, 0) end
            as overdue_amount,
        definitions.display_order,
        {{ scoring_date() }} as scoring_date
    from definitions
    cross join availability
    left join per_segment on definitions.segment = per_segment.segment
)

select * from final
