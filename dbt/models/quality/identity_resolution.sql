-- How the customer references of each source resolved, for rows dated before the scoring
-- date: to a CRM id, to a CRM e-mail, to a guest (purchases, notes, contacts, invoices),
-- or not at all (interactions stay anonymous: kept and counted here, not scored).
with identities as (
    select * from {{ ref('int_customer_identities') }}
),

references_by_source as (
    select
        'transactions' as source,
        customer_ref_key
    from {{ ref('stg_transactions') }}
    where order_date < {{ scoring_date() }}
    union all
    select
        'interactions' as source,
        customer_ref_key
    from {{ ref('stg_interactions') }}
    where event_date < {{ scoring_date() }}
    union all
    select
        'crm_notes' as source,
        customer_ref_key
    from {{ ref('stg_crm_notes') }}
    where note_date < {{ scoring_date() }}
    union all
    select
        'campaign_contacts' as source,
        customer_ref_key
    from {{ ref('stg_campaign_contacts') }}
    where cast(contacted_at as date) < {{ scoring_date() }}
    union all
    select
        'invoices' as source,
        customer_ref_key
    from {{ ref('stg_invoices') }}
    where issue_date < {{ scoring_date() }}
),

final as (
    select
        references_by_source.source,
        count(*) as rows_total,
        count(case when identities.match_type = 'crm_id' then 1 end) as rows_crm_id,
        count(case when identities.match_type = 'crm_email' then 1 end) as rows_crm_email,
        count(case when identities.match_type = 'guest' then 1 end) as rows_guest,
        count(case when identities.match_type is null then 1 end) as rows_anonymous,
        {{ scoring_date() }} as scoring_date
    from references_by_source
    left join identities
        on references_by_source.customer_ref_key = identities.customer_ref_key
    group by references_by_source.source
)

select * from final
