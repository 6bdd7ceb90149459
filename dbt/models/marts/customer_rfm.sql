-- depends_on: {{ ref('rfm_thresholds') }}
-- R, F and M scores (1-5) of every customer with a counted order before the scoring date.
-- Recency ranks descending (the most recent buyers get 5); frequency and monetary ascending.
with order_summary as (
    select * from {{ ref('int_customer_order_summary') }}
),

scored as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        {{ rfm_score('recency', 'recency_days', 'desc') }} as r_score,
        {{ rfm_score('frequency', 'frequency', 'asc') }} as f_score,
        {{ rfm_score('monetary', 'monetary', 'asc') }} as m_score
    from order_summary
),

final as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(r_score as {{ dbt.type_string() }})
        || cast(f_score as {{ dbt.type_string() }})
        || cast(m_score as {{ dbt.type_string() }})
            as rfm_cell,
        round((r_score + f_score + m_score - 3) / 12 * 100, 2) as rfm_score_100,
        {{ scoring_date() }} as scoring_date
    from scored
)

select * from final
