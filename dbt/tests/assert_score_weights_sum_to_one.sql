-- The composite's weights after re-weighting for absent sources sum to 1 (RFM is always
-- present, so there is always something to weigh).
with weights as (
    select * from {{ ref('int_score_weights') }}
)

select *
from weights
where abs(rfm_weight + behaviour_weight + fit_weight + crm_weight + predicted_value_weight - 1)
    > 0.000001
