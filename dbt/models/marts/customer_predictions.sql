-- What each customer with an order is expected to do next, from the customer-base model
-- fitted as of the scoring date: P(alive) and its churn band, expected orders, the next
-- order date, the expected order value and the 12-month customer lifetime value (CLV).
-- CLV = sum over the next 12 months of expected orders x expected order value x
-- gross_margin_rate, month m discounted by (1 + annual_discount_rate) ^ (m / 12), in cents.
{%- set margin = var('gross_margin_rate') %}
{%- set discount = var('annual_discount_rate') %}
{%- set discounted_orders = [] %}
{%- for month in range(1, 13) %}
    {%- do discounted_orders.append(
        'expected_orders_month_%02d / %s' % (month, (1 + discount) ** (month / 12))
    ) %}
{%- endfor %}

with predictions as (
    select * from {{ ref('stg_customer_value_predictions') }}
),

features as (
    select * from {{ ref('customer_value_features') }}
),

bands as (
    select * from {{ ref('churn_bands') }}
),

valued as (
    select
        *,
        round(
            {{ margin }} * expected_order_value * (
                {{ discounted_orders | join('\n                + ') }}
            ),
            2
        ) as clv_12m
    from predictions
),

final as (
    select
        valued.customer_id,
        features.frequency,
        features.recency_days,
        features.tenure_days,
        valued.p_alive,
        valued.churn_probability,
        bands.churn_band,
        valued.expected_orders_90d,
        valued.expected_orders_365d,
        valued.p_order_90d,
        valued.expected_next_order_date,
        valued.expected_order_value,
        valued.clv_12m,
        valued.purchase_model,
        valued.model_version,
        valued.fitted_at,
        valued.scoring_date
    from valued
    inner join features on valued.customer_id = features.customer_id
    left join bands
        on
            valued.churn_probability >= bands.min_churn_probability
            and (
                valued.churn_probability < bands.max_churn_probability
                or bands.max_churn_probability is null
            )
)

select * from final
