-- What each campaign earned after its cost, per segment of its audience (segment as of the
-- campaign's start). Margin = attributed net revenue x var gross_margin_rate; cost =
-- cost_per_contact x contacts + the segment's share (by contacts) of the fixed cost.
-- Where the campaign held out a control group of at least var uplift_min_control_customers
-- customers in the segment, the margin counted is the incremental one: uplift (response
-- rate of contacted customers - of control customers) x contacted customers x margin per
-- response; column economics_basis says which one was used. A response is a contact the
-- file marks as responded or one an order is credited to; uplift compares the file's
-- responded flag of contacted and control customers (the same measure on both sides).
{%- set z = var('uplift_ci_z') %}

with contacts as (
    select * from {{ ref('int_campaign_contacts') }}
),

audience as (
    select * from {{ ref('int_campaign_audience_segments') }}
),

attributions as (
    select * from {{ ref('int_campaign_attributions') }}
),

campaigns as (
    select * from {{ ref('stg_campaigns') }}
),

credited as (
    select
        campaign_id,
        customer_id,
        contacted_at,
        count(*) as credited_orders
    from attributions
    group by campaign_id, customer_id, contacted_at
),

segmented as (
    select
        contacts.*,
        audience.segment,
        -- A response: the file says so, or an order is credited to this contact.
        contacts.has_responded or credited.credited_orders is not null as is_response
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
),

per_customer as (
    select
        campaign_id,
        segment,
        customer_id,
        is_control,
        count(*) as contacts,
        max(case when has_responded then 1 else 0 end) as has_responded
    from segmented
    group by campaign_id, segment, customer_id, is_control
),

contact_totals as (
    select
        campaign_id,
        segment,
        sum(case when not is_control then contacts else 0 end) as contacts,
        sum(case when not is_control then 1 else 0 end) as contacted_customers,
        sum(case when not is_control then has_responded else 0 end) as responding_customers,
        sum(case when is_control then 1 else 0 end) as control_customers,
        sum(case when is_control then has_responded else 0 end) as control_responders
    from per_customer
    group by campaign_id, segment
),

responses as (
    select
        campaign_id,
        segment,
        sum(case when is_response then 1 else 0 end) as responses
    from segmented
    where not is_control
    group by campaign_id, segment
),

attributed as (
    select
        attributions.campaign_id,
        audience.segment,
        count(*) as attributed_orders,
        sum(attributions.net_amount) as attributed_revenue
    from attributions
    inner join audience
        on
            attributions.campaign_id = audience.campaign_id
            and attributions.customer_id = audience.customer_id
    group by attributions.campaign_id, audience.segment
),

campaign_contacts as (
    select
        campaign_id,
        sum(contacts) as campaign_contacts
    from contact_totals
    group by campaign_id
),

measured as (
    select
        totals.campaign_id,
        totals.segment,
        totals.contacts,
        totals.contacted_customers,
        coalesce(responses.responses, 0) as responses,
        coalesce(attributed.attributed_orders, 0) as attributed_orders,
        coalesce(attributed.attributed_revenue, 0) as attributed_revenue,
        coalesce(attributed.attributed_revenue, 0) * {{ var('gross_margin_rate') }} as margin,
        campaigns.cost_per_contact,
        campaigns.cost_per_contact * totals.contacts
        + cast(campaigns.fixed_cost * totals.contacts as double)
        / nullif(campaign_contacts.campaign_contacts, 0)
            as cost,
        totals.control_customers,
        totals.control_responders,
        totals.responding_customers / nullif(totals.contacted_customers, 0)
            as contacted_customer_response_rate,
        totals.control_responders / nullif(totals.control_customers, 0)
            as control_response_rate
    from contact_totals as totals
    inner join campaigns on totals.campaign_id = campaigns.campaign_id
    inner join campaign_contacts on totals.campaign_id = campaign_contacts.campaign_id
    left join responses
        on totals.campaign_id = responses.campaign_id and totals.segment = responses.segment
    left join attributed
        on totals.campaign_id = attributed.campaign_id and totals.segment = attributed.segment
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
        economics.segment,
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
