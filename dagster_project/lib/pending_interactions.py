"""Whether the interactions waiting in raw can change any score as of a scoring date.

Every model downstream of `staging.stg_interactions` reads events dated before the scoring
date only (rule 10 of the house). So the next incremental build of `stg_interactions`
(`dbt/macros/incremental_lines.sql`) changes no score when all it does is add rows dated
on or after the scoring date: an hour of today's web, e-mail and app activity. It can when
it adds an earlier row (a late event), replaces a staged row dated earlier (same
`event_id` in a newer file), or deletes the rows of a replaced or pruned file; or when no
interaction was staged before (the source appears: availability and weights change).

The questions mirror the macro's three moves, read-only, on the warehouse as it stands
before dbt runs.
"""

from __future__ import annotations

from datetime import date

import duckdb

STAGED = "staging.stg_interactions"

# Files the staging table holds that the manifest no longer has with the same content
# (the macro's `delete_rows_of_changed_files`).
CHANGED_FILES = f"""
with staged_files as (select distinct source_file, source_file_hash from {STAGED})
select count(*)
from staged_files
left join raw.load_manifest as manifest
    on manifest.source = 'interactions' and manifest.file_path = staged_files.source_file
where
    manifest.file_hash is distinct from staged_files.source_file_hash
    or (
        not manifest.is_present
        and not exists (
            select 1 from raw.interactions as raw_rows
            where raw_rows._source_file = staged_files.source_file
        )
    )
"""

# Rows of files the staging table does not hold yet (`rows_of_new_files`) that are dated
# before the scoring date, or replace a staged row dated before it (`delete+insert` on
# event_id). A row without a timestamp counts as dated before.
NEW_ROWS_BEFORE = f"""
with staged_files as (select distinct source_file, source_file_hash from {STAGED}),
new_rows as (
    select event_id, event_ts
    from raw.interactions as raw_rows
    where not exists (
        select 1 from staged_files
        where
            staged_files.source_file = raw_rows._source_file
            and staged_files.source_file_hash = raw_rows._file_hash
    )
)
select
    count(*),
    count(*) filter (where coalesce(cast(event_ts as date) < $scoring_date, true)),
    count(*) filter (
        where exists (
            select 1 from {STAGED} as staged
            where
                staged.event_id = new_rows.event_id
                and coalesce(staged.event_date < $scoring_date, true)
        )
    )
from new_rows
"""


def why_scores_change(con: duckdb.DuckDBPyConnection, scoring_date: date) -> str | None:
    """Why building the waiting interactions into staging could change a score as of
    `scoring_date`, in words; None when it cannot (the waiting rows, if any, are all dated
    on or after it and replace nothing dated before it)."""
    built = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'staging' and table_name = 'stg_interactions' "
        "and table_type = 'BASE TABLE'"
    ).fetchone()[0]
    if not built:
        return "stg_interactions was never built"
    if not con.execute(f"select count(*) > 0 from {STAGED}").fetchone()[0]:
        return "no interaction was staged before"
    (changed,) = con.execute(CHANGED_FILES).fetchone()
    if changed:
        return f"{changed} staged interactions file(s) replaced or pruned"
    new, before, replacing = con.execute(NEW_ROWS_BEFORE, {"scoring_date": scoring_date}).fetchone()
    if before:
        return f"{before} of {new} new interaction(s) dated before {scoring_date}"
    if replacing:
        return f"{replacing} new interaction(s) replace events dated before {scoring_date}"
    return None
