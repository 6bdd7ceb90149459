-- Each counted order credited to at most one campaign contact: the contact whose order_id
-- names it, else the customer's latest contact (of any campaign, control customers
-- excluded) on or before the order date and less than var attribution_days before it.
with contacts as (
    select
        *,
        {{ dbt.dateadd('day', var('attribution_days'), 'contact_date') }} as attribution_end_date
    from {{ ref('int_campaign_contacts') }}
    where not is_control
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

named as (
    select
        orders.order_id,
        orders.net_amount,
        contacts.campaign_id,
        contacts.customer_id,
        contacts.contacted_at,
        contacts.contact_rank,
        'order_id' as attributed_by,
        1 as priority
    from contacts
    inner join orders on contacts.order_id = orders.order_id
),

windowed as (
    select
        orders.order_id,
        orders.net_amount,
        contacts.campaign_id,
        contacts.customer_id,
        contacts.contacted_at,
        contacts.contact_rank,
        'window' as attributed_by,
        2 as priority
    from contacts
    inner join orders
        on
            contacts.customer_id = orders.customer_id
            and contacts.contact_date <= orders.order_date
            and contacts.attribution_end_date > orders.order_date
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id order by priority asc, contacted_at desc, campaign_id asc
        ) as preference
    from (
        select * from named
        union all
        select * from windowed
    ) as candidates
),

final as (
    select
        order_id,
        campaign_id,
        customer_id,
        contacted_at,
        contact_rank,
        net_amount,
        attributed_by
    from ranked
    where preference = 1
)

select * from final
