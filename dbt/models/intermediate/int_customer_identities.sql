-- Resolves every customer reference (customer_id or e-mail, any case or spacing) to one
-- customer_id: a CRM id first, then a CRM e-mail; a purchase, note, contact or invoice whose
-- reference matches neither creates a guest customer keyed by the normalised reference,
-- so no purchase is lost. Interactions create no guest: unmatched events stay anonymous.
with crm as (
    select * from {{ ref('int_crm_customers_as_of') }}
),

transactions as (
    select
        customer_ref_key,
        order_date as seen_date
    from {{ ref('stg_transactions') }}
),

notes as (
    select
        customer_ref_key,
        note_date as seen_date
    from {{ ref('stg_crm_notes') }}
),

contacts as (
    select
        customer_ref_key,
        cast(contacted_at as date) as seen_date
    from {{ ref('stg_campaign_contacts') }}
),

invoices as (
    select
        customer_ref_key,
        issue_date as seen_date
    from {{ ref('stg_invoices') }}
),

crm_ids as (
    select
        customer_id_key as customer_ref_key,
        customer_id,
        'crm_id' as match_type,
        1 as priority
    from crm
),

crm_emails as (
    select
        email as customer_ref_key,
        min(customer_id) as customer_id,
        'crm_email' as match_type,
        2 as priority
    from crm
    where email is not null
    group by email
),

references_seen as (
    select
        customer_ref_key,
        min(seen_date) as first_seen_date
    from (
        select * from transactions
        union all
        select * from notes
        union all
        select * from contacts
        union all
        select * from invoices
    ) as seen
    where seen_date < {{ scoring_date() }} and customer_ref_key is not null
    group by customer_ref_key
),

guests as (
    select
        references_seen.customer_ref_key,
        'guest:' || references_seen.customer_ref_key as customer_id,
        'guest' as match_type,
        3 as priority
    from references_seen
    where
        references_seen.customer_ref_key not in (select crm_ids.customer_ref_key from crm_ids)
        and references_seen.customer_ref_key not in (
            select crm_emails.customer_ref_key from crm_emails
        )
),

candidates as (
    select * from crm_ids
    union all
    select * from crm_emails
    union all
    select * from guests
),

ranked as (
    select
        customer_ref_key,
        customer_id,
        match_type,
        row_number() over (partition by customer_ref_key order by priority, customer_id)
            as candidate_rank
    from candidates
),

final as (
    select
        customer_ref_key,
        customer_id,
        match_type
    from ranked
    where candidate_rank = 1
)

select * from final
