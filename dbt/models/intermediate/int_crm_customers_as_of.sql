-- CRM customers who existed before the scoring date (a later sign-up is not yet known).
with customers as (
    select * from {{ ref('stg_crm_customers') }}
),

final as (
    select *
    from customers
    where signed_up_at is null or cast(signed_up_at as date) < {{ scoring_date() }}
)

select * from final
