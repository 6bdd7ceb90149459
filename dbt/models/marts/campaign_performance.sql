-- What each campaign earned after its cost, per audience: the whole campaign, per segment
-- (RFM segment as of the campaign's start) and per predictive group (the group the
-- customer was in when the campaign started, see int_campaign_audiences); audience_kind
-- says which, and every contact is counted once per kind. Margin = attributed net revenue x var
-- gross_margin_rate; cost = cost_per_contact x contacts + the audience's share (by
-- contacts) of the fixed cost. Where the campaign held out a control group of at least var
-- uplift_min_control_customers customers in the audience, the margin counted is the
-- incremental one: uplift (response rate of contacted customers - of control customers) x
-- contacted customers x margin per response; column economics_basis says which one was
-- used. Responses and attributed orders come from int_campaign_contact_responses; uplift
-- compares the file's responded flag of contacted and control customers (the same measure
-- on both sides).
{%- set z = var('uplift_ci_z') %}

with responses as (
    select * from {{ ref('int_campaign_contact_responses') }}
),

audiences as (
    select * from {{ ref('int_campaign_audiences') }}
),

campaigns as (
    select * from {{ ref('stg_campaigns') }}
),

audienced as (
    select
        responses.*,
        audiences.audience_kind,
        audiences.audience,
        audiences.audience_as_of,
        audiences.is_audience_known_at_contact
    from responses
    inner join audiences
        on
            responses.campaign_id = audiences.campaign_id
            and responses.customer_id = audiences.customer_id
),

per_customer as (
    select
        campaign_id,
        audience_kind,
        audience,
        customer_id,
        is_control,
        count(*) as contacts,
        max(case when has_responded then 1 else 0 end) as has_responded
    from audienced
    group by campaign_id, audience_kind, audience, customer_id, is_control
),

contact_totals as (
    select
        campaign_id,
        audience_kind,
        audience,
        sum(case when not is_control then contacts else 0 end) as contacts,
        sum(case when not is_control then 1 else 0 end) as contacted_customers,
        sum(case when not is_control then has_responded else 0 end) as responding_customers,
        sum(case when is_control then 1 else 0 end) as control_customers,
        sum(case when is_control then has_responded else 0 end) as control_responders
    from per_customer
    group by campaign_id, audience_kind, audience
),

outcomes as (
    select
        campaign_id,
        audience_kind,
        audience,
        max(audience_as_of) as audience_as_of,
        min(case when is_audience_known_at_contact then 1 else 0 end) = 1
            as is_audience_known_at_contact,
        -- Control customers are not contacts: their purchases are not responses.
        sum(case when is_response and not is_control then 1 else 0 end) as responses,
        sum(attributed_orders) as attributed_orders,
        sum(attributed_revenue) as attributed_revenue
    from audienced
    group by campaign_id, audience_kind, audience
),

measured as (
    select
        totals.campaign_id,
        totals.audience_kind,
        totals.audience,
        outcomes.audience_as_of,
        outcomes.is_audience_known_at_contact,
        totals.contacts,
        totals.contacted_customers,
        outcomes.responses,
        outcomes.attributed_orders,
        outcomes.attributed_revenue,
        outcomes.attributed_revenue * {{ var('gross_margin_rate') }} as margin,
        campaigns.cost_per_contact,
        campaigns.cost_per_contact * totals.contacts
        + cast(campaigns.fixed_cost * totals.contacts as double)
        / nullif(
            sum(totals.contacts) over (
                partition by totals.campaign_id, totals.audience_kind
            ),
            0
        ) as cost,
        totals.control_customers,
        totals.control_responders,
        totals.responding_customers / nullif(totals.contacted_customers, 0)
            as contacted_customer_response_rate,
        totals.control_responders / nullif(totals.control_customers, 0)
            as control_response_rate
    from contact_totals as totals
    inner join campaigns on totals.campaign_id = campaigns.campaign_id
    inner join outcomes
        on
            totals.campaign_id = outcomes.campaign_id
            and totals.audience_kind = outcomes.audience_kind
            and totals.audience = outcomes.audience
    where totals.contacts > 0
),

uplifts as (
    select
        *,
        responses / contacts as response_rate,
        cast(margin as double) / nullif(responses, 0) as margin_per_response,
        contacted_customer_response_rate - control_response_rate as uplift,
        {{ z }} * sqrt(
            contacted_customer_response_rate * (1 - contacted_customer_response_rate)
            / contacted_customers
            + control_response_rate * (1 - control_response_rate) / control_customers
        ) as uplift_margin_of_error,
        control_customers >= {{ var('uplift_min_control_customers') }} as has_uplift
    from measured
),

economics as (
    select
        *,
        cost_per_contact / nullif(margin_per_response, 0) as break_even_response_rate,
        case
            when has_uplift then uplift * contacted_customers * coalesce(margin_per_response, 0)
            else margin
        end as incremental_margin
    from uplifts
),

final as (
    select
        economics.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.offer,
        economics.audience_kind,
        economics.audience,
        economics.audience_as_of,
        economics.is_audience_known_at_contact,
        economics.contacts,
        economics.contacted_customers,
        economics.responses,
        economics.response_rate,
        economics.attributed_orders,
        economics.attributed_revenue,
        economics.margin,
        economics.margin_per_response,
        economics.cost_per_contact,
        economics.cost,
        economics.break_even_response_rate,
        economics.control_customers,
        economics.control_responders,
        economics.contacted_customer_response_rate,
        economics.control_response_rate,
        economics.uplift,
        economics.uplift - economics.uplift_margin_of_error as uplift_ci_low,
        economics.uplift + economics.uplift_margin_of_error as uplift_ci_high,
        case
            when economics.has_uplift then 'control_group_uplift' else 'attributed_responses'
        end as economics_basis,
        economics.incremental_margin,
        economics.incremental_margin - economics.cost as margin_after_advertising,
        (economics.incremental_margin - economics.cost) / nullif(economics.cost, 0) as roi,
        coalesce(
            case when economics.has_uplift then economics.uplift else economics.response_rate end
            < economics.break_even_response_rate,
            economics.cost_per_contact > 0
        ) as unprofitable_to_contact,
        {{ scoring_date() }} as scoring_date
    from economics
    inner join campaigns on economics.campaign_id = campaigns.campaign_id
)

select * from final
