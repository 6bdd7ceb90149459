-- Where each customer is in their life cycle as of the scoring date: prospect (no counted
-- order), new (first order at most new_customer_days ago), churned (last order churn_days
-- ago or more), lapsing (lapsing_days or more), else active. Churned wins over new.
with customers as (
    select * from {{ ref('int_customers') }}
),

order_summary as (
    select * from {{ ref('int_customer_order_summary') }}
),

final as (
    select
        customers.customer_id,
        case
            when order_summary.customer_id is null then 'prospect'
            when order_summary.recency_days >= {{ var('churn_days') }} then 'churned'
            when
                {{ dbt.datediff('order_summary.first_order_date', scoring_date(), 'day') }}
                <= {{ var('new_customer_days') }} then 'new'
            when order_summary.recency_days >= {{ var('lapsing_days') }} then 'lapsing'
            else 'active'
        end as lifecycle_stage
    from customers
    left join order_summary on customers.customer_id = order_summary.customer_id
)

select * from final
