-- Order lines with a signed net amount: completed lines count positive, returned lines
-- negative, cancelled lines zero. Incremental on the load batch (macros/incremental_lines.sql):
-- every line whatever its date; as-of filters are downstream.
{{
    config(
        materialized=line_materialization(),
        unique_key=['order_id', 'order_line'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_of_changed_files('transactions') }}",
    )
}}

-- depends_on: {{ source('raw', 'load_manifest') }}
with source as (
    select * from {{ source('raw', 'transactions') }}
    {{ rows_of_new_files('transactions') }}
),

amounts as (
    select
        order_id,
        order_line,
        customer_ref,
        lower(trim(customer_ref)) as customer_ref_key,
        order_ts as ordered_at,
        cast(order_ts as date) as order_date,
        channel,
        product_id,
        category,
        quantity,
        coalesce(unit_price, (line_amount + coalesce(discount, 0)) / quantity) as unit_price,
        coalesce(discount, 0) as discount,
        coalesce(line_amount, quantity * unit_price - coalesce(discount, 0)) as line_amount,
        currency,
        status,
        _source_file as source_file,
        _file_hash as source_file_hash,
        _line_number as source_line_number
    from source
),

final as (
    select
        *,
        case status
            when 'completed' then line_amount
            when 'returned' then -abs(line_amount)
            else 0
        end as net_amount
    from amounts
)

select * from final
