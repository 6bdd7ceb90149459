-- Response (the file's flag, or an order credited to the contact) and margin by contact
-- rank (1 = first contact of a customer by a campaign, 2 = first reminder, ...) per
-- segment, over every campaign, and the recommended number of contacts per campaign: the
-- largest rank up to which every rank's marginal margin after advertising (attributed
-- margin - cost_per_contact x contacts of that rank) is positive (0 = even the first
-- contact does not pay).
with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
    where not is_control
),

audience as (
    select * from {{ ref('int_campaign_audience_segments') }}
),

attributions as (
    select * from {{ ref('int_campaign_attributions') }}
),

credited as (
    select distinct
        campaign_id,
        customer_id,
        contacted_at
    from attributions
),

sent as (
    select
        audience.segment,
        contacts.contact_rank,
        count(distinct contacts.campaign_id) as campaigns,
        count(*) as contacts,
        sum(
            case when contacts.has_responded or credited.contacted_at is not null then 1 else 0 end
        ) as responses,
        sum(contacts.cost_per_contact) as cost
    from contacts
    inner join audience
        on
            contacts.campaign_id = audience.campaign_id
            and contacts.customer_id = audience.customer_id
    left join credited
        on
            contacts.campaign_id = credited.campaign_id
            and contacts.customer_id = credited.customer_id
            and contacts.contacted_at = credited.contacted_at
    group by audience.segment, contacts.contact_rank
),

earned as (
    select
        audience.segment,
        attributions.contact_rank,
        count(*) as attributed_orders,
        sum(attributions.net_amount) as attributed_revenue
    from attributions
    inner join audience
        on
            attributions.campaign_id = audience.campaign_id
            and attributions.customer_id = audience.customer_id
    group by audience.segment, attributions.contact_rank
),

ranks as (
    select
        sent.segment,
        sent.contact_rank,
        sent.campaigns,
        sent.contacts,
        sent.responses,
        sent.responses / sent.contacts as response_rate,
        coalesce(earned.attributed_orders, 0) as attributed_orders,
        coalesce(earned.attributed_revenue, 0) as attributed_revenue,
        coalesce(earned.attributed_revenue, 0) * {{ var('gross_margin_rate') }} as margin,
        sent.cost
    from sent
    left join earned
        on sent.segment = earned.segment and sent.contact_rank = earned.contact_rank
),

marginal as (
    select
        *,
        margin - cost as marginal_margin_after_advertising,
        margin - cost > 0 as is_profitable_rank
    from ranks
),

recommended as (
    select
        segment,
        coalesce(
            min(case when not is_profitable_rank then contact_rank end) - 1,
            max(contact_rank)
        ) as recommended_contacts
    from marginal
    group by segment
),

final as (
    select
        marginal.segment,
        marginal.contact_rank,
        marginal.campaigns,
        marginal.contacts,
        marginal.responses,
        marginal.response_rate,
        marginal.attributed_orders,
        marginal.attributed_revenue,
        marginal.margin,
        marginal.cost,
        marginal.marginal_margin_after_advertising,
        marginal.is_profitable_rank,
        recommended.recommended_contacts,
        {{ scoring_date() }} as scoring_date
    from marginal
    inner join recommended on marginal.segment = recommended.segment
)

select * from final
