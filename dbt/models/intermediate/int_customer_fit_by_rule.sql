-- The fit rules (seed fit_rules) each customer meets. Operators: equals, in (values
-- separated by |), between (low|high, inclusive). Comparisons ignore case.
with customers as (
    select * from {{ ref('int_customers') }}
),

rules as (
    select * from {{ ref('fit_rules') }}
),

as_text as (
    select
        customer_id,
        cast(is_opted_in_email as {{ dbt.type_string() }}) as opt_in_email,
        cast(is_loyalty_member as {{ dbt.type_string() }}) as loyalty_member,
        country,
        city,
        cast(age_years as {{ dbt.type_string() }}) as age_years,
        acquisition_channel,
        cast(is_guest as {{ dbt.type_string() }}) as is_guest
    from customers
),

-- One row per customer and non-null attribute (an unpivot, written as a union so every
-- engine runs it).
attributes as (
    select
        customer_id,
        'opt_in_email' as attribute,
        opt_in_email as attribute_value
    from as_text
    where opt_in_email is not null
    union all
    select
        customer_id,
        'loyalty_member' as attribute,
        loyalty_member as attribute_value
    from as_text
    where loyalty_member is not null
    union all
    select
        customer_id,
        'country' as attribute,
        country as attribute_value
    from as_text
    where country is not null
    union all
    select
        customer_id,
        'city' as attribute,
        city as attribute_value
    from as_text
    where city is not null
    union all
    select
        customer_id,
        'age_years' as attribute,
        age_years as attribute_value
    from as_text
    where age_years is not null
    union all
    select
        customer_id,
        'acquisition_channel' as attribute,
        acquisition_channel as attribute_value
    from as_text
    where acquisition_channel is not null
    union all
    select
        customer_id,
        'is_guest' as attribute,
        is_guest as attribute_value
    from as_text
    where is_guest is not null
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
            and {{ in_delimited_list('lower(attributes.attribute_value)', 'lower(rules.value)') }}
        )
        or (
            rules.operator = 'between'
            and {{ dbt.safe_cast('attributes.attribute_value', 'double') }}
            between {{ dbt.safe_cast(dbt.split_part('rules.value', "'|'", 1), 'double') }}
            and {{ dbt.safe_cast(dbt.split_part('rules.value', "'|'", 2), 'double') }}
        )
)

select * from final
