"""Whether the interactions waiting in raw can change a score (lib/pending_interactions.py),
on a real DuckDB file laid out as the loader and the staging model leave it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import manifest
from dagster_project.lib.pending_interactions import why_scores_change

SCORING_DATE = date(2026, 11, 2)
STAGED_FILE = ("landing/interactions/2026-10.csv", "h-october")


@pytest.fixture
def con(tmp_path: Path):
    """One staged file of two October events; raw and the manifest agree with it."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        manifest.ensure_schema(con)
        con.execute(
            "create schema staging; create table staging.stg_interactions ("
            "event_id varchar, event_date date, source_file varchar, source_file_hash varchar)"
        )
        land(con, *STAGED_FILE, [("E1", "2026-10-30 10:00"), ("E2", "2026-10-31 11:00")])
        con.execute(
            "insert into staging.stg_interactions select event_id, cast(event_ts as date), "
            "_source_file, _file_hash from raw.interactions"
        )
        yield con


def land(con, path: str, file_hash: str, events: list[tuple[str, str]]) -> None:
    """A file's events in raw and its line in the manifest, as a load leaves them."""
    con.execute("delete from raw.load_manifest where file_path = ?", [path])
    con.execute(
        "insert into raw.load_manifest (source, file_path, file_hash, is_present) "
        "values ('interactions', ?, ?, true)",
        [path, file_hash],
    )
    con.executemany(
        "insert into raw.interactions (event_id, event_ts, _source_file, _file_hash) "
        "values (?, ?, ?, ?)",
        [(event_id, ts, path, file_hash) for event_id, ts in events],
    )


def test_nothing_waiting_and_todays_events_change_no_score(con) -> None:
    assert why_scores_change(con, SCORING_DATE) is None
    land(con, "landing/interactions/today.csv", "h1", [("E3", "2026-11-02 08:00")])
    assert why_scores_change(con, SCORING_DATE) is None
    # The same event re-sent by a newer file, still dated today: nothing older replaced.
    land(con, "landing/interactions/today-2.csv", "h2", [("E3", "2026-11-02 09:00")])
    assert why_scores_change(con, SCORING_DATE) is None


def test_a_late_event_changes_the_scores(con) -> None:
    land(
        con,
        "landing/interactions/today.csv",
        "h1",
        [("E3", "2026-11-02 08:00"), ("E4", "2026-11-01 23:59")],
    )
    assert (
        why_scores_change(con, SCORING_DATE) == "1 of 2 new interaction(s) dated before 2026-11-02"
    )
    # As of the next day, both are dated before it.
    assert why_scores_change(con, date(2026, 11, 3)).startswith("2 of 2")


def test_an_event_without_a_time_counts_as_dated_before(con) -> None:
    land(con, "landing/interactions/today.csv", "h1", [("E3", None)])
    assert why_scores_change(con, SCORING_DATE).startswith("1 of 1 new")


def test_a_new_file_resending_an_older_event_changes_the_scores(con) -> None:
    land(con, "landing/interactions/today.csv", "h1", [("E2", "2026-11-02 08:00")])
    assert why_scores_change(con, SCORING_DATE) == (
        "1 new interaction(s) replace events dated before 2026-11-02"
    )


def test_a_replaced_or_pruned_file_changes_the_scores(con) -> None:
    con.execute("update raw.load_manifest set file_hash = 'h-october-2'")
    assert why_scores_change(con, SCORING_DATE) == (
        "1 staged interactions file(s) replaced or pruned"
    )
    con.execute("update raw.load_manifest set file_hash = 'h-october', is_present = false")
    assert why_scores_change(con, SCORING_DATE) is None  # gone from landing, kept in raw
    con.execute("delete from raw.interactions")
    assert why_scores_change(con, SCORING_DATE).endswith("replaced or pruned")


def test_a_first_file_or_a_missing_table_changes_the_scores(con) -> None:
    con.execute("delete from staging.stg_interactions")
    assert why_scores_change(con, SCORING_DATE) == "no interaction was staged before"
    con.execute("drop table staging.stg_interactions")
    assert why_scores_change(con, SCORING_DATE) == "stg_interactions was never built"
