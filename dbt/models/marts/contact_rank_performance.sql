-- Response and margin by contact rank (1 = first contact of a customer by a campaign, 2 =
-- first reminder, ...) per audience (segment or predictive group, as in
-- campaign_performance), over every campaign, and the recommended number of contacts per
-- campaign: the largest rank up to which every rank's marginal margin after advertising
-- (attributed margin - cost_per_contact x contacts of that rank) is positive (0 = even the
-- first contact does not pay). Responses and attributed orders come from
-- int_campaign_contact_responses.
with responses as (
    select * from {{ ref('int_campaign_contact_responses') }}
    where not is_control
),

audiences as (
    select * from {{ ref('int_campaign_audiences') }}
),

ranks as (
    select
        audiences.audience_kind,
        audiences.audience,
        responses.contact_rank,
        count(distinct responses.campaign_id) as campaigns,
        count(*) as contacts,
        sum(case when responses.is_response then 1 else 0 end) as responses,
        sum(responses.attributed_orders) as attributed_orders,
        sum(responses.attributed_revenue) as attributed_revenue,
        sum(responses.cost_per_contact) as cost,
        avg(case when audiences.is_audience_known_at_contact then 1.0 else 0.0 end)
            as audience_known_at_contact_share
    from responses
    inner join audiences
        on
            responses.campaign_id = audiences.campaign_id
            and responses.customer_id = audiences.customer_id
    group by audiences.audience_kind, audiences.audience, responses.contact_rank
),

marginal as (
    select
        *,
        responses / contacts as response_rate,
        attributed_revenue * {{ var('gross_margin_rate') }} as margin,
        attributed_revenue * {{ var('gross_margin_rate') }} - cost
            as marginal_margin_after_advertising
    from ranks
),

recommended as (
    select
        audience_kind,
        audience,
        coalesce(
            min(case when marginal_margin_after_advertising <= 0 then contact_rank end) - 1,
            max(contact_rank)
        ) as recommended_contacts
    from marginal
    group by audience_kind, audience
),

final as (
    select
        marginal.audience_kind,
        marginal.audience,
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
        marginal.marginal_margin_after_advertising > 0 as is_profitable_rank,
        recommended.recommended_contacts,
        marginal.audience_known_at_contact_share,
        {{ scoring_date() }} as scoring_date
    from marginal
    inner join recommended
        on
            marginal.audience_kind = recommended.audience_kind
            and marginal.audience = recommended.audience
)

select * from final
