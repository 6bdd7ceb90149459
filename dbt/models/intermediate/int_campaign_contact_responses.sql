-- The one place that says what a response is. One row per campaign contact (or held-out
-- control customer) of int_campaign_contacts, with the counted orders credited to it by
-- int_campaign_attributions. A contact is a response when the file marks it as responded
-- or when an order is credited to it; a control customer is never credited, so their
-- response is the file's flag (they bought anyway).
with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
),

attributions as (
    select * from {{ ref('int_campaign_attributions') }}
),

credited as (
    select
        campaign_id,
        customer_id,
        contacted_at,
        count(*) as attributed_orders,
        sum(net_amount) as attributed_revenue
    from attributions
    group by campaign_id, customer_id, contacted_at
),

final as (
    select
        contacts.campaign_id,
        contacts.customer_id,
        contacts.contacted_at,
        contacts.contact_date,
        contacts.is_control,
        contacts.has_responded,
        contacts.contact_rank,
        contacts.campaign_start_date,
        contacts.cost_per_contact,
        coalesce(credited.attributed_orders, 0) as attributed_orders,
        coalesce(credited.attributed_revenue, 0) as attributed_revenue,
        contacts.has_responded or credited.attributed_orders is not null as is_response
    from contacts
    left join credited
        on
            not contacts.is_control
            and contacts.campaign_id = credited.campaign_id
            and contacts.customer_id = credited.customer_id
            and contacts.contacted_at = credited.contacted_at
)

select * from final
