{#- Post-hook of every seed and model: a built table's row count, in dbt's log (an info
    line "<relation> holds <n> rows"). The Dagster asset reads it from the event stream and
    records it as the materialization's `dagster/row_count`; counting here, while dbt holds
    the warehouse, lets the run record dbt's results as they come instead of waiting for
    dbt to release the file (DuckDB: one writer, no other reader). Views are not counted. -#}
{% macro log_row_count() -%}
    {%- if execute and config.get('materialized') in ('table', 'incremental', 'seed') -%}
        {%- set counted = run_query('select count(*) from ' ~ this) -%}
        {%- do log(this ~ ' holds ' ~ counted.columns[0].values()[0] ~ ' rows', info=True) -%}
    {%- endif -%}
{%- endmacro %}
