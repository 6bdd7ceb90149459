-- Incremental on the load batch (macros/incremental_lines.sql): every row whatever its
-- date; as-of filters are downstream.
{{
    config(
        materialized=line_materialization(),
        unique_key=['note_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_of_changed_files('crm_notes') }}",
    )
}}

-- depends_on: {{ source('raw', 'load_manifest') }}
with source as (
    select * from {{ source('raw', 'crm_notes') }}
    {{ rows_of_new_files('crm_notes') }}
),

final as (
    select
        note_id,
        customer_ref,
        lower(trim(customer_ref)) as customer_ref_key,
        note_ts as noted_at,
        cast(note_ts as date) as note_date,
        author,
        note_text,
        -- Patterns are matched on lower-case text without accents (French and English).
        lower({{ strip_accents('note_text') }}) as note_text_normalised,
        _source_file as source_file,
        _file_hash as source_file_hash,
        _line_number as source_line_number
    from source
)

select * from final
