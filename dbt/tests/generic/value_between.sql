{#-
    Rows whose value lies outside [min_value, max_value]. Either bound may be omitted
    (unbounded); min_inclusive / max_inclusive = false make a bound strict (e.g. > 0).
    Null values pass: pair with not_null where a value is required.
-#}
{% test value_between(
    model,
    column_name,
    min_value=none,
    max_value=none,
    min_inclusive=true,
    max_inclusive=true
) %}

{%- set below = '<' if min_inclusive else '<=' -%}
{%- set above = '>' if max_inclusive else '>=' -%}

select {{ column_name }} as out_of_range_value
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {% if min_value is not none -%}
        or {{ column_name }} {{ below }} {{ min_value }}
        {% endif -%}
        {% if max_value is not none -%}
        or {{ column_name }} {{ above }} {{ max_value }}
        {% endif -%}
    )

{% endtest %}
