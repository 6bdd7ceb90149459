with source as (
    select * from {{ source('raw', 'campaigns') }}
),

final as (
    select
        campaign_id,
        name as campaign_name,
        channel,
        start_date,
        end_date,
        coalesce(cost_per_contact, 0) as cost_per_contact,
        coalesce(fixed_cost, 0) as fixed_cost,
        offer
    from source
)

select * from final
