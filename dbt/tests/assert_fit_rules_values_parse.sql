-- Seed fit_rules values are usable by their operator: between needs "low|high" with two
-- numbers and low <= high; in needs a non-empty list of values separated by |.
select
    rule_id,
    operator,
    value
from {{ ref('fit_rules') }}
where
    value is null
    or trim(value) = ''
    or (
        operator = 'between'
        and (
            {{ delimited_count('value') }} <> 2
            or {{ dbt.safe_cast(dbt.split_part('value', "'|'", 1), 'double') }} is null
            or {{ dbt.safe_cast(dbt.split_part('value', "'|'", 2), 'double') }} is null
            or {{ dbt.safe_cast(dbt.split_part('value', "'|'", 1), 'double') }}
            > {{ dbt.safe_cast(dbt.split_part('value', "'|'", 2), 'double') }}
        )
    )
    or (operator = 'in' and {{ in_delimited_list("''", 'value') }})
