-- What each customer buys: net revenue of their counted orders by category before the
-- scoring date, the category's share of the customer's total and its rank (1 = biggest).
-- Categories with a net amount of zero or less (returned) are left out.
with lines as (
    select * from {{ ref('stg_transactions') }}
    where order_date < {{ scoring_date() }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

by_category as (
    select
        orders.customer_id,
        coalesce(lines.category, 'unknown') as category,
        sum(lines.net_amount) as net_revenue
    from lines
    inner join orders on lines.order_id = orders.order_id
    group by orders.customer_id, coalesce(lines.category, 'unknown')
    having sum(lines.net_amount) > 0
),

final as (
    select
        customer_id,
        category,
        net_revenue,
        cast(net_revenue as double) / sum(net_revenue) over (partition by customer_id)
            as revenue_share,
        row_number() over (
            partition by customer_id order by net_revenue desc, category asc
        ) as category_rank
    from by_category
)

select * from final
