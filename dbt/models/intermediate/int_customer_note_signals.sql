-- Signals found in CRM notes over the lookback window, per customer and tag: patterns
-- (seed note_signal_patterns) match lower-case text without accents, so "Mécontent"
-- and "MECONTENT" both match "mecontent". Points decay with the note's age.
with notes as (
    select * from {{ ref('stg_crm_notes') }}
    where
        note_date < {{ scoring_date() }}
        and note_date >= {{ window_start(var('crm_lookback_days')) }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

patterns as (
    select * from {{ ref('note_signal_patterns') }}
),

matches as (
    -- One match per note and tag, even when several patterns of the tag match.
    select
        identities.customer_id,
        notes.note_id,
        notes.note_date,
        patterns.tag,
        patterns.reason_label,
        patterns.points,
        patterns.points * pow(
            0.5, {{ dbt.datediff('notes.note_date', scoring_date(), 'day') }} / patterns.half_life_days  -- noqa: LT05
        ) as decayed_points,
        row_number() over (
            partition by notes.note_id, patterns.tag order by patterns.pattern_id
        ) as match_rank
    from notes
    inner join identities on notes.customer_ref_key = identities.customer_ref_key
    inner join patterns
        on {{ regexp_contains('notes.note_text_normalised', 'patterns.pattern') }}
),

final as (
    select
        customer_id,
        tag,
        any_value(reason_label) as reason_label,
        count(*) as notes,
        max(note_date) as latest_note_date,
        sum(decayed_points) as decayed_points,
        sum(points) as undecayed_points,
        sum(decayed_points / nullif(points, 0)) as decayed_notes
    from matches
    where match_rank = 1
    group by customer_id, tag
)

select * from final
