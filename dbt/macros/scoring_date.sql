{#- The as-of date of every score: the `scoring_date` var, else the environment variable
    SCORING_DATE (how the Dagster assets pass a run's partition), else today.
    Read only when dbt executes: dbt records the env vars (and hashes the --vars) it meets
    while parsing and re-parses the whole project when they change, so a date read at
    parse time would cost a full parse for every new scoring date. -#}
{% macro scoring_date() -%}
    {%- if execute -%}
        {%- set chosen = var('scoring_date', none) or env_var('SCORING_DATE', '') or modules.datetime.date.today().isoformat() -%}
    {%- else -%}
        {%- set chosen = '1900-01-01' -%}
    {%- endif -%}
    cast('{{ chosen }}' as date)
{%- endmacro %}

{#- Start of the window of `days` days that ends just before the scoring date. -#}
{% macro window_start(days) -%}
    {%- if days is none -%}
        cast('0001-01-01' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -days, scoring_date()) }} as date)
    {%- endif -%}
{%- endmacro %}
