-- Each invoice issued before the scoring date, replayed as of that date: a payment dated
-- on or after it has not happened yet. Days late run from the due date to the payment and
-- are 0 when it came on or before the due date (an invoice paid the day it is due is on
-- time); an unpaid invoice past its due date is overdue by the days since, in age buckets
-- 1-30, 31-60, 61-90 and over 90. A written-off invoice is no longer owed.
with invoices as (
    select * from {{ ref('stg_invoices') }}
    where issue_date < {{ scoring_date() }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

replayed as (
    select
        identities.customer_id,
        invoices.invoice_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.amount,
        invoices.status,
        invoices.status = 'written_off' as is_written_off,
        invoices.status = 'disputed' as is_disputed,
        invoices.due_date < {{ scoring_date() }} as is_due,
        case
            when invoices.paid_date < {{ scoring_date() }} then invoices.paid_amount else 0
        end as paid_amount,
        case when invoices.paid_date < {{ scoring_date() }} then invoices.paid_date end
            as paid_date
    from invoices
    inner join identities on invoices.customer_ref_key = identities.customer_ref_key
),

settled as (
    select
        *,
        paid_date is not null and paid_amount >= amount and not is_written_off as is_paid,
        case when is_written_off then 0 else amount - paid_amount end as outstanding_amount
    from replayed
),

final as (
    select
        customer_id,
        invoice_id,
        issue_date,
        due_date,
        amount,
        paid_amount,
        paid_date,
        status,
        is_paid,
        is_disputed,
        is_written_off,
        is_due,
        is_paid and paid_date <= due_date as is_paid_on_time,
        outstanding_amount,
        case
            when is_paid then greatest({{ dbt.datediff('due_date', 'paid_date', 'day') }}, 0)
        end as days_late,
        case
            when is_due and outstanding_amount > 0
                then {{ dbt.datediff('due_date', scoring_date(), 'day') }}
        end as days_overdue
    from settled
),

bucketed as (
    select
        *,
        case
            when days_overdue between 1 and 30 then '1-30'
            when days_overdue between 31 and 60 then '31-60'
            when days_overdue between 61 and 90 then '61-90'
            when days_overdue > 90 then 'over_90'
        end as overdue_bucket,
        -- How late the invoice is, paid or not yet: what the trend compares.
        case when is_due and not is_written_off then coalesce(days_late, days_overdue) end
            as lateness_days
    from final
)

select * from bucketed
