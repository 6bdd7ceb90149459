-- Buyers ranked by expected margin over the next var propensity_horizon_days (purchase
-- probability x expected order value x var gross_margin_rate), from the most to the least
-- profitable, cut into groups of var group_size customers lettered A, B, C... A remainder
-- of less than half a group joins the last group (so a small shop gets fewer groups, never
-- a group of a handful); ties in expected margin are broken by customer_id so groups keep
-- their size.
{%- set group_size = var('group_size') %}
{%- set string_type = api.Column.translate_type('string') %}

with propensity as (
    select * from {{ ref('stg_predictions__purchase_propensity') }}
    where scoring_date = {{ scoring_date() }}
),

order_summary as (
    select * from {{ ref('int_customer_order_summary') }}
),

-- The one place that says what a buyer's next order is worth: their average order value
-- so far. A fitted value (e.g. a Gamma-Gamma expected_order_value) replaces it here.
order_value as (
    select
        customer_id,
        net_revenue_total / orders_total as expected_order_value
    from order_summary
),

scored as (
    select
        propensity.customer_id,
        propensity.purchase_probability,
        propensity.expected_orders,
        order_value.expected_order_value,
        propensity.purchase_probability * order_value.expected_order_value
        * {{ var('gross_margin_rate') }} as expected_margin,
        propensity.expected_orders * order_value.expected_order_value as expected_revenue
    from propensity
    inner join order_value on propensity.customer_id = order_value.customer_id
),

ranked as (
    select
        *,
        row_number() over (order by expected_margin desc, customer_id asc) as margin_rank,
        count(*) over () as buyers
    from scored
),

sized as (
    select
        *,
        -- Whole groups, plus one for a remainder of at least half a group; at least one.
        greatest(
            1,
            floor(buyers / {{ group_size }})
            + case
                when
                    buyers - floor(buyers / {{ group_size }}) * {{ group_size }}
                    >= {{ group_size }} / 2.0
                    then 1
                else 0
            end
        ) as group_count
    from ranked
),

grouped as (
    select
        *,
        cast(least(ceil(margin_rank / {{ group_size }}), group_count) as integer)
            as group_number
    from sized
),

final as (
    select
        customer_id,
        case
            when group_number <= 26 then chr(64 + group_number)
            else {{ dbt.concat(["'Z'", dbt.safe_cast("group_number - 25", string_type)]) }}
        end as predictive_group,
        group_number,
        margin_rank,
        purchase_probability,
        expected_orders,
        expected_order_value,
        expected_revenue,
        expected_margin,
        {{ scoring_date() }} as scoring_date
    from grouped
)

select * from final
