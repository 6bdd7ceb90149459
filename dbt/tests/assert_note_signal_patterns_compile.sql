-- Every pattern of seed note_signal_patterns is a valid regular expression: regexp_matches
-- compiles it against a constant text and the test errors on an invalid pattern. A pattern
-- that is empty or matches the empty text would tag every note, so it is returned too.
select
    pattern_id,
    pattern
from {{ ref('note_signal_patterns') }}
where
    pattern is null
    or trim(pattern) = ''
    or {{ regexp_contains("''", 'pattern') }}
    or {{ regexp_contains("'pattern compile check'", 'pattern') }} is null
