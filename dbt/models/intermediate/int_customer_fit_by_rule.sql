-- The fit rules (seed fit_rules) each customer meets. Operators: equals, in (values
-- separated by |), between (low|high, inclusive). Comparisons ignore case.
with customers as (
    select * from {{ ref('int_customers') }}
),

rules as (
    select * from {{ ref('fit_rules') }}
),

attributes as (
    unpivot (
        select
            customer_id,
            cast(is_opted_in_email as varchar) as opt_in_email,
            cast(is_loyalty_member as varchar) as loyalty_member,
            country,
            city,
            cast(age_years as varchar) as age_years,
            acquisition_channel,
            cast(is_guest as varchar) as is_guest
        from customers
    )
    on opt_in_email, loyalty_member, country, city, age_years, acquisition_channel, is_guest
    into name attribute value attribute_value
),

final as (
    select
        attributes.customer_id,
        rules.rule_id,
        rules.points,
        rules.description
    from attributes
    inner join rules on attributes.attribute = rules.attribute
    where
        (rules.operator = 'equals' and lower(attributes.attribute_value) = lower(rules.value))
        or (
            rules.operator = 'in'
            and list_contains(
                string_split(lower(rules.value), '|'), lower(attributes.attribute_value)
            )
        )
        or (
            rules.operator = 'between'
            and try_cast(attributes.attribute_value as double)
            between cast(split_part(rules.value, '|', 1) as double)
            and cast(split_part(rules.value, '|', 2) as double)
        )
)

select * from final
