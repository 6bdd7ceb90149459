{#-
    Rows with a value outside its column's range, for every column of `columns`, a mapping
    of column to {min_value, max_value, min_inclusive, max_inclusive}: either bound may be
    omitted (unbounded), and min_inclusive / max_inclusive = false make a bound strict
    (e.g. > 0). Null values pass: not_null_columns says which columns are required. One
    query and one result per model, where a test per column would pay dbt's and Dagster's
    cost of a test for each (see not_null_columns). The failing rows show every checked column.
-#}
{% test value_ranges(model, columns) %}

select {{ columns.keys() | join(', ') }}
from {{ model }}
where
    false
    {% for column, range in columns.items() -%}
    {%- set below = '<' if range.get('min_inclusive', true) else '<=' -%}
    {%- set above = '>' if range.get('max_inclusive', true) else '>=' -%}
    or (
        {{ column }} is not null
        and (
            false
            {% if range.get('min_value') is not none -%}
            or {{ column }} {{ below }} {{ range.min_value }}
            {% endif -%}
            {% if range.get('max_value') is not none -%}
            or {{ column }} {{ above }} {{ range.max_value }}
            {% endif -%}
        )
    )
    {% endfor %}

{% endtest %}
