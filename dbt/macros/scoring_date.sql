{#- The as-of date of every score: the `scoring_date` var, or today when unset. -#}
{% macro scoring_date() -%}
    {%- set chosen = var('scoring_date', none) or modules.datetime.date.today().isoformat() -%}
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
