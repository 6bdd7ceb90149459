-- Incremental on the load batch (macros/incremental_lines.sql): every row whatever its
-- date; as-of filters are downstream.
{{
    config(
        materialized=line_materialization(),
        unique_key=['event_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_of_changed_files('interactions') }}",
    )
}}

-- depends_on: {{ source('raw', 'load_manifest') }}
with source as (
    select * from {{ source('raw', 'interactions') }}
    {{ rows_of_new_files('interactions') }}
),

final as (
    select
        event_id,
        customer_ref,
        nullif(lower(trim(customer_ref)), '') as customer_ref_key,
        event_ts as occurred_at,
        cast(event_ts as date) as event_date,
        event_type,
        channel,
        url,
        campaign_id,
        _source_file as source_file,
        _file_hash as source_file_hash,
        _line_number as source_line_number
    from source
)

select * from final
