with source as (
    select * from {{ source('raw', 'crm_customers') }}
),

final as (
    select
        customer_id,
        lower(trim(customer_id)) as customer_id_key,
        nullif(lower(trim(email)), '') as email,
        first_name,
        last_name,
        birth_date,
        postcode,
        city,
        upper(trim(country)) as country,
        signup_ts as signed_up_at,
        acquisition_channel,
        coalesce(opt_in_email, false) as is_opted_in_email,
        coalesce(loyalty_member, false) as is_loyalty_member
    from source
)

select * from final
