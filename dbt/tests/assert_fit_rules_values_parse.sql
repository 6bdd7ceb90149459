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
            try_cast(split_part(value, '|', 1) as double) is null
            or try_cast(split_part(value, '|', 2) as double) is null
            or len(string_split(value, '|')) <> 2
            or try_cast(split_part(value, '|', 1) as double)
            > try_cast(split_part(value, '|', 2) as double)
        )
    )
    or (operator = 'in' and list_contains(string_split(value, '|'), ''))
