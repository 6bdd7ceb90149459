-- The named segment of every customer: the (R, F) cell through seed rfm_segment_grid,
-- or prospect without a counted order; with its value tier and recommended action.
with customers as (
    select * from {{ ref('int_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

grid as (
    select * from {{ ref('rfm_segment_grid') }}
),

definitions as (
    select * from {{ ref('segment_definitions') }}
),

final as (
    select
        customers.customer_id,
        coalesce(grid.segment, 'prospect') as segment,
        definitions.value_tier,
        definitions.recommended_action,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        {{ scoring_date() }} as scoring_date
    from customers
    left join rfm on customers.customer_id = rfm.customer_id
    left join grid on rfm.r_score = grid.r_score and rfm.f_score = grid.f_score
    left join definitions on coalesce(grid.segment, 'prospect') = definitions.segment
)

select * from final
