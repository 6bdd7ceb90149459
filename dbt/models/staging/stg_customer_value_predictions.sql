-- The customer-base model's predictions as written by the asset predictions/customer_value.
with source as (
    select * from {{ source('predictions', 'customer_value') }}
),

final as (
    select
        customer_id,
        p_alive,
        churn_probability,
        expected_orders_90d,
        expected_orders_365d,
        p_order_90d,
        expected_next_order_date,
        expected_order_value,
        expected_orders_month_01,
        expected_orders_month_02,
        expected_orders_month_03,
        expected_orders_month_04,
        expected_orders_month_05,
        expected_orders_month_06,
        expected_orders_month_07,
        expected_orders_month_08,
        expected_orders_month_09,
        expected_orders_month_10,
        expected_orders_month_11,
        expected_orders_month_12,
        purchase_model,
        model_version,
        fitted_at,
        scoring_date
    from source
    -- A customer a degenerate fit could not predict has blank numbers: no prediction.
    where expected_orders_365d is not null and p_alive is not null
)

select * from final
