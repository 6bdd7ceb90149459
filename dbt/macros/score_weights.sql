{#- The composite weights, checked: four non-negative numbers that sum to 1. -#}
{% macro score_weight(component) -%}
    {%- set weights = var('score_weights') -%}
    {%- set expected = ['rfm', 'behaviour', 'fit', 'crm'] -%}
    {%- if weights.keys() | sort | list != expected | sort | list -%}
        {{ exceptions.raise_compiler_error("score_weights must have exactly the keys " ~ expected ~ ", got " ~ weights.keys() | list) }}
    {%- endif -%}
    {%- for key in expected -%}
        {%- if weights[key] < 0 -%}
            {{ exceptions.raise_compiler_error("score_weights." ~ key ~ " is negative: " ~ weights[key]) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set total = weights.values() | sum -%}
    {%- if (total - 1) | abs > 0.000001 -%}
        {{ exceptions.raise_compiler_error("score_weights must sum to 1, they sum to " ~ total ~ ": " ~ weights) }}
    {%- endif -%}
    {{ weights[component] }}
{%- endmacro %}

{#- Clamp a number into [low, high]. -#}
{% macro clamp(expression, low=0, high=100) -%}
    least(greatest({{ expression }}, {{ low }}), {{ high }})
{%- endmacro %}
