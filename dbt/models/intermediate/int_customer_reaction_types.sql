-- The reaction type of every customer known before the scoring date: the first rule of seed
-- reaction_type_rules, by priority, whose bounds all hold (an empty bound always holds,
-- bounds are inclusive) on the customer's contacts, responses and shares of responses to
-- promotion and content offers. A customer never contacted has 0 contacts.
with customers as (
    select * from {{ ref('int_customers') }}
),

reactions as (
    select * from {{ ref('int_customer_campaign_reactions') }}
),

rules as (
    select * from {{ ref('reaction_type_rules') }}
),

facts as (
    select
        customers.customer_id,
        coalesce(reactions.contacts, 0) as contacts,
        coalesce(reactions.responses, 0) as responses,
        reactions.response_rate,
        reactions.offers_responded,
        reactions.promotion_share,
        reactions.content_share
    from customers
    left join reactions on customers.customer_id = reactions.customer_id
),

matched as (
    select
        facts.customer_id,
        rules.reaction_type,
        row_number() over (partition by facts.customer_id order by rules.priority asc)
            as preference
    from facts
    inner join rules
        on
            (rules.min_contacts is null or facts.contacts >= rules.min_contacts)
            and (rules.max_contacts is null or facts.contacts <= rules.max_contacts)
            and (rules.min_responses is null or facts.responses >= rules.min_responses)
            and (rules.max_responses is null or facts.responses <= rules.max_responses)
            and (
                rules.min_promotion_share is null
                or facts.promotion_share >= rules.min_promotion_share
            )
            and (
                rules.min_content_share is null
                or facts.content_share >= rules.min_content_share
            )
),

final as (
    select
        facts.*,
        matched.reaction_type
    from facts
    left join matched
        on facts.customer_id = matched.customer_id and matched.preference = 1
)

select * from final
