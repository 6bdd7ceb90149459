-- Which optional sources have data: a score that needs an absent source is null, and
-- the composite score re-weights over the components that exist.
with final as (
    select
        (select count(*) from {{ ref('stg_interactions') }}) > 0 as has_interactions,
        (select count(*) from {{ ref('stg_crm_customers') }}) > 0 as has_crm_customers,
        (select count(*) from {{ ref('stg_crm_notes') }}) > 0 as has_crm_notes,
        (select count(*) from {{ ref('stg_campaigns') }}) > 0 as has_campaigns,
        (select count(*) from {{ ref('stg_invoices') }}) > 0 as has_invoices
)

select * from final
