with source as (
    select * from {{ source('raw', 'invoices') }}
),

final as (
    select
        invoice_id,
        customer_ref,
        lower(trim(customer_ref)) as customer_ref_key,
        order_id,
        issue_date,
        due_date,
        amount,
        currency,
        coalesce(paid_amount, 0) as paid_amount,
        paid_date,
        status
    from source
)

select * from final
