with source as (
    select * from {{ source('raw', 'campaign_contacts') }}
),

final as (
    select
        campaign_id,
        customer_ref,
        lower(trim(customer_ref)) as customer_ref_key,
        contact_ts as contacted_at,
        coalesce(responded, false) as has_responded,
        response_ts as responded_at,
        order_id,
        coalesce(is_control, false) as is_control
    from source
)

select * from final
