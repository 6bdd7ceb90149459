{{ config(meta={'dagster': {'ref': {'name': 'campaign_performance'}}}) }}
-- Every contact of a campaign is counted once per audience kind: by segment and by
-- predictive group, a campaign's contacts and attributed revenue add up to the same totals
-- as int_campaign_contact_responses.
with performance as (
    select
        campaign_id,
        audience_kind,
        sum(contacts) as contacts,
        sum(attributed_revenue) as attributed_revenue
    from {{ ref('campaign_performance') }}
    group by campaign_id, audience_kind
),

contacts as (
    select
        campaign_id,
        count(*) as contacts,
        sum(attributed_revenue) as attributed_revenue
    from {{ ref('int_campaign_contact_responses') }}
    where not is_control
    group by campaign_id
),

kinds as (
    select distinct audience_kind from performance
)

select
    contacts.campaign_id,
    kinds.audience_kind,
    contacts.contacts as expected_contacts,
    performance.contacts
from contacts
cross join kinds
left join performance
    on
        contacts.campaign_id = performance.campaign_id
        and kinds.audience_kind = performance.audience_kind
where
    performance.contacts is null
    or performance.contacts <> contacts.contacts
    or abs(performance.attributed_revenue - contacts.attributed_revenue) > 0.005
