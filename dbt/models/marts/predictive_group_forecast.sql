-- The forecast of every predictive group for the next var propensity_horizon_days:
-- customers, expected buyers (sum of purchase probabilities), orders, revenue and margin
-- (x var gross_margin_rate), and the margin left after contacting every customer of the
-- group once at var group_contact_cost.
with groups as (
    select * from {{ ref('customer_predictive_groups') }}
),

final as (
    select
        predictive_group,
        group_number,
        count(*) as customers,
        sum(purchase_probability) as expected_buyers,
        sum(expected_orders) as expected_orders,
        sum(expected_revenue) as expected_revenue,
        sum(expected_revenue) * {{ var('gross_margin_rate') }} as expected_margin,
        count(*) * {{ var('group_contact_cost') }} as contact_cost,
        sum(expected_revenue) * {{ var('gross_margin_rate') }}
        - count(*) * {{ var('group_contact_cost') }} as expected_margin_after_contact,
        min(purchase_probability) as min_purchase_probability,
        max(purchase_probability) as max_purchase_probability,
        max(scoring_date) as scoring_date
    from groups
    group by predictive_group, group_number
)

select * from final
