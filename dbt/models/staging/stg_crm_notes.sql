with source as (
    select * from {{ source('raw', 'crm_notes') }}
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
        lower({{ strip_accents('note_text') }}) as note_text_normalised
    from source
)

select * from final
