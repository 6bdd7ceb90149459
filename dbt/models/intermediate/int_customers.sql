-- One row per customer known before the scoring date: CRM customers and guests.
with crm as (
    select * from {{ ref('int_crm_customers_as_of') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

crm_customers as (
    select
        customer_id,
        email,
        first_name,
        last_name,
        birth_date,
        cast({{ completed_years('birth_date', scoring_date()) }} as integer) as age_years,
        postcode,
        city,
        country,
        signed_up_at,
        acquisition_channel,
        is_opted_in_email,
        is_loyalty_member,
        false as is_guest
    from crm
),

guest_customers as (
    select
        customer_id,
        case when customer_ref_key like '%@%' then customer_ref_key end as email,
        null as first_name,
        null as last_name,
        cast(null as date) as birth_date,
        cast(null as integer) as age_years,
        null as postcode,
        null as city,
        null as country,
        cast(null as timestamp) as signed_up_at,
        null as acquisition_channel,
        false as is_opted_in_email,
        false as is_loyalty_member,
        true as is_guest
    from identities
    where match_type = 'guest'
),

final as (
    select * from crm_customers
    union all
    select * from guest_customers
)

select * from final
