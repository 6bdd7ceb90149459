{#-
    On Spark the raw layer (and the Python models' predictions) arrive as Parquet files: the
    loader exports each source table to <var spark_dir>/sources/<schema>/<table>/
    (dagster_project/lib/spark_exchange.py). This on-run-start hook registers, for the sources
    the selected nodes read, an external table over that folder, so `source('raw', ...)`
    means the same table on both engines. Dropping an external table keeps its files; it is
    re-created on every run so a new export (or a new column) is seen. On DuckDB, nothing to
    do: the sources are tables of the warehouse file.
-#}
{% macro register_parquet_sources() -%}
    {{ return(adapter.dispatch('register_parquet_sources', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__register_parquet_sources() -%}
    select 1 as nothing_to_register
{%- endmacro %}

{% macro spark__register_parquet_sources() -%}
    {%- if execute -%}
        {%- set root = var('spark_dir', env_var('SCORING_SPARK_DIR', '../data/spark')) ~ '/sources' -%}
        {%- set read = [] -%}
        {%- for unique_id in selected_resources -%}
            {%- set node = graph.nodes.get(unique_id) -%}
            {%- if node -%}
                {%- for parent in node.depends_on.nodes if parent.startswith('source.') and parent not in read -%}
                    {%- do read.append(parent) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for unique_id in read | sort -%}
            {%- set source = graph.sources[unique_id] -%}
            {%- set location = root ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query(
                'create table ' ~ source.schema ~ '.' ~ source.identifier
                ~ " using parquet location '" ~ location ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as parquet_sources_registered
{%- endmacro %}
