with source as (
    select * from {{ source('raw', 'interactions') }}
),

final as (
    select
        event_id,
        customer_ref,
        nullif(lower(trim(customer_ref)), '') as customer_ref_key,
        event_ts as occurred_at,
        cast(event_ts as date) as event_date,
        event_type,
        channel,
        url,
        campaign_id
    from source
)

select * from final
