-- One row per order before the scoring date, resolved to its customer. An order counts
-- when its net amount (completed lines minus returned lines) is positive; its date is
-- the date of its earliest line.
with lines as (
    select * from {{ ref('stg_transactions') }}
    where order_date < {{ scoring_date() }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

resolved as (
    select
        lines.*,
        identities.customer_id
    from lines
    inner join identities on lines.customer_ref_key = identities.customer_ref_key
),

final as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(order_date) as order_date,
        sum(net_amount) as net_amount,
        count(*) as line_count,
        sum(net_amount) > 0 as is_counted
    from resolved
    group by order_id
)

select * from final
