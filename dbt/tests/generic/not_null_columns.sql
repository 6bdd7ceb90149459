{#-
    Rows with a null in any of `columns`: a model's required columns checked in one query
    and one result, where a not_null test per column would scan and report each apart
    (about 380 tests, each paying dbt's and Dagster's cost of a test for a query of a few
    milliseconds). A failure counts the rows; the query's rows show which columns are null.
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where
    {% for column in columns -%}
    {{ column }} is null{% if not loop.last %} or {% endif %}
    {% endfor %}

{% endtest %}
