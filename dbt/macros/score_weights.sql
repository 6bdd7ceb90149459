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

{#- Share of the composite score given to the predicted customer value (percentile of
    clv_12m among buyers); the score_weights components share the rest. Checked: 0 to 1.
    0 (the default) leaves the composite as it was without predictions. -#}
{% macro predicted_value_weight() -%}
    {%- set weight = var('predicted_value_weight', 0) -%}
    {%- if weight is not number or weight < 0 or weight > 1 -%}
        {{ exceptions.raise_compiler_error("predicted_value_weight must be a number from 0 to 1, got " ~ weight) }}
    {%- endif -%}
    {{ weight }}
{%- endmacro %}

{#- An expression as text, for reasons written in words (portable: no `||` on numbers). -#}
{% macro as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}
