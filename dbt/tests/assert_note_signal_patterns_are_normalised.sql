-- Notes are matched in lower case without accents (stg_crm_notes.note_text_normalised),
-- so a pattern with an upper-case or accented letter would never match. Escapes such as
-- \b, \w or \S are ignored in this check.
select
    pattern_id,
    pattern
from {{ ref('note_signal_patterns') }}
where
    {{ regexp_replace_all('pattern', "'\\\\[A-Za-z]'", "''") }}
    <> lower({{ strip_accents(regexp_replace_all('pattern', "'\\\\[A-Za-z]'", "''")) }})
