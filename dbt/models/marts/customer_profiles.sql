-- The C-R-M profile of every customer: Consumer of what (top categories, their shares and
-- the concentration of the category mix), Reacting to what (offers responded to, response
-- rate and reaction type, see int_customer_reaction_types), Mode of purchase (first, last and
-- dominant order channel).
with customers as (
    select * from {{ ref('int_customers') }}
),

category_mix as (
    select * from {{ ref('int_customer_category_mix') }}
),

reactions as (
    select * from {{ ref('int_customer_reaction_types') }}
),

journeys as (
    select * from {{ ref('int_customer_channel_journeys') }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_counted
),

order_channels as (
    select * from {{ ref('int_order_channels') }}
),

consumption as (
    select
        customer_id,
        max(case when category_rank = 1 then category end) as top_category,
        max(case when category_rank = 1 then revenue_share end) as top_category_share,
        {{ dbt.listagg(
            dbt.concat([
                "category",
                "' '",
                dbt.safe_cast("round(100 * revenue_share)", api.Column.translate_type("integer")),
                "'%'",
            ]),
            "', '",
            "order by category_rank",
        ) }} as top_categories
    from category_mix
    where category_rank <= {{ var('profile_top_categories') }}
    group by customer_id
),

concentration as (
    select
        customer_id,
        count(*) as categories_bought,
        sum(revenue_share * revenue_share) as category_concentration_hhi
    from category_mix
    group by customer_id
),

channel_orders as (
    select
        orders.customer_id,
        order_channels.channel,
        count(*) as orders,
        max(orders.order_date) as last_order_date
    from orders
    inner join order_channels on orders.order_id = order_channels.order_id
    group by orders.customer_id, order_channels.channel
),

channels as (
    select
        customer_id,
        max(case when by_orders = 1 then channel end) as dominant_channel,
        max(case when by_orders = 1 then orders end) / sum(orders) as dominant_channel_share,
        max(case when by_recency = 1 then channel end) as last_channel
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by orders desc, last_order_date desc, channel asc
            ) as by_orders,
            row_number() over (
                partition by customer_id order by last_order_date desc, orders desc, channel asc
            ) as by_recency
        from channel_orders
    ) as ranked
    group by customer_id
),

final as (
    select
        customers.customer_id,
        consumption.top_categories,
        consumption.top_category,
        consumption.top_category_share,
        concentration.categories_bought,
        concentration.category_concentration_hhi,
        reactions.contacts as campaign_contacts,
        reactions.responses as campaign_responses,
        reactions.response_rate as campaign_response_rate,
        reactions.offers_responded,
        reactions.promotion_share,
        reactions.content_share,
        reactions.reaction_type,
        journeys.first_channel,
        channels.last_channel,
        channels.dominant_channel,
        channels.dominant_channel_share,
        {{ scoring_date() }} as scoring_date
    from customers
    inner join reactions on customers.customer_id = reactions.customer_id
    left join consumption on customers.customer_id = consumption.customer_id
    left join concentration on customers.customer_id = concentration.customer_id
    left join journeys on customers.customer_id = journeys.customer_id
    left join channels on customers.customer_id = channels.customer_id
)

select * from final
