{#- Share of the composite score given to payment reliability (100 - payment_risk_score)
    for customers with invoices; the other components share the rest. Checked: 0 to 1. -#}
{% macro payment_risk_weight() -%}
    {%- set weight = var('payment_risk_weight') -%}
    {%- if weight is not number or weight < 0 or weight > 1 -%}
        {{ exceptions.raise_compiler_error("payment_risk_weight must be a number from 0 to 1, got " ~ weight) }}
    {%- endif -%}
    {{ weight }}
{%- endmacro %}

{#- The composite score with payment reliability blended in, for a customer with a
    payment-risk score: weight x (100 - risk) + (1 - weight) x the composite the call block
    gives; a customer without one keeps the composite as it is. -#}
{% macro with_payment_reliability(risk_score) -%}
    {%- set weight = payment_risk_weight() | trim -%}
    coalesce({{ weight }} * (100 - {{ risk_score }}), 0)
    + (1 - case when {{ risk_score }} is null then 0 else {{ weight }} end) * ({{ caller() }})
{%- endmacro %}
