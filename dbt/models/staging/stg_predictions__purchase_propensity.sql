-- Purchase probabilities as the propensity asset wrote them.
with source as (
    select * from {{ source('predictions_propensity', 'purchase_propensity') }}
),

final as (
    select
        customer_id,
        cast(purchase_probability as double) as purchase_probability,
        cast(expected_orders as double) as expected_orders,
        cast(scoring_date as date) as scoring_date,
        model_version
    from source
)

select * from final
