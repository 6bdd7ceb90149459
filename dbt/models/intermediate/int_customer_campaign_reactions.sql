-- How each contacted customer reacts to campaigns: contacts received (control customers
-- excluded), responses (the file's responded flag), the offers responded to and the share
-- of responses to each kind of offer (seed offer_kinds: the first pattern, by priority,
-- that the lower-cased offer is like; a campaign without offer counts as content).
with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
    where not is_control
),

campaigns as (
    select * from {{ ref('stg_campaigns') }}
),

offer_kinds as (
    select * from {{ ref('offer_kinds') }}
),

campaign_kinds as (
    select
        campaign_id,
        offer,
        offer_kind
    from (
        select
            campaigns.campaign_id,
            campaigns.offer,
            coalesce(offer_kinds.offer_kind, case when campaigns.offer is null then 'content' end)
                as offer_kind,
            row_number() over (
                partition by campaigns.campaign_id order by offer_kinds.priority asc
            ) as preference
        from campaigns
        left join offer_kinds
            on lower(campaigns.offer) like offer_kinds.offer_pattern escape {{ string_literal('\\') }}  -- noqa: LT05
    ) as matched
    where preference = 1
),

responses as (
    select
        contacts.customer_id,
        contacts.has_responded,
        campaign_kinds.offer,
        campaign_kinds.offer_kind
    from contacts
    inner join campaign_kinds on contacts.campaign_id = campaign_kinds.campaign_id
),

final as (
    select
        customer_id,
        count(*) as contacts,
        sum(case when has_responded then 1 else 0 end) as responses,
        sum(case when has_responded then 1 else 0 end) / count(*) as response_rate,
        {{ dbt.listagg(
            "distinct case when has_responded then offer end",
            "', '",
            "order by case when has_responded then offer end",
        ) }}
            as offers_responded,
        sum(case when has_responded and offer_kind = 'promotion' then 1 else 0 end)
        / nullif(sum(case when has_responded then 1 else 0 end), 0) as promotion_share,
        sum(case when has_responded and offer_kind = 'content' then 1 else 0 end)
        / nullif(sum(case when has_responded then 1 else 0 end), 0) as content_share
    from responses
    group by customer_id
)

select * from final
