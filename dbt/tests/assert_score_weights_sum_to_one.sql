-- The composite's weights after re-weighting for absent sources sum to 1 (RFM is always
-- present, so there is always something to weigh).
with weights as (
    select * from {{ ref('int_score_weights') }}
),

totals as (
    select
        *,
        rfm_weight + behaviour_weight + fit_weight + crm_weight + predicted_value_weight
            as total_weight
    from weights
)

select * from totals
where abs(total_weight - 1) > 0.000001
