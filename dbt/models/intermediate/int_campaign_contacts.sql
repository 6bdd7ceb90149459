-- One row per campaign contact (or held-out control customer) before the scoring date,
-- resolved to its customer, with the campaign's costs and its rank among the contacts of
-- the same customer by the same campaign (1 = first contact, 2 = first reminder, ...).
with contacts as (
    select * from {{ ref('stg_campaign_contacts') }}
),

campaigns as (
    select * from {{ ref('stg_campaigns') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

resolved as (
    select
        contacts.campaign_id,
        identities.customer_id,
        contacts.contacted_at,
        cast(contacts.contacted_at as date) as contact_date,
        contacts.is_control,
        contacts.has_responded,
        contacts.order_id
    from contacts
    inner join identities on contacts.customer_ref_key = identities.customer_ref_key
    where cast(contacts.contacted_at as date) < {{ scoring_date() }}
),

final as (
    select
        resolved.campaign_id,
        resolved.customer_id,
        resolved.contacted_at,
        resolved.contact_date,
        resolved.is_control,
        resolved.has_responded,
        resolved.order_id,
        row_number() over (
            partition by resolved.campaign_id, resolved.customer_id, resolved.is_control
            order by resolved.contacted_at
        ) as contact_rank,
        coalesce(
            campaigns.start_date,
            min(resolved.contact_date) over (partition by resolved.campaign_id)
        ) as campaign_start_date,
        campaigns.cost_per_contact,
        campaigns.fixed_cost
    from resolved
    inner join campaigns on resolved.campaign_id = campaigns.campaign_id
)

select * from final
