-- One row per customer and day with at least one counted order before the scoring date:
-- the purchase occasions of the customer-base models. Orders on the same day count once
-- (as the literature does), their net amounts added up.
with orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

final as (
    select
        customer_id,
        order_date as purchase_date,
        count(*) as orders,
        sum(net_amount) as net_amount
    from orders
    group by customer_id, order_date
)

select * from final
