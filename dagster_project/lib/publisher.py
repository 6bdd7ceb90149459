"""Atomic publication of the checked marts into `published/segments.duckdb` and Parquet.

A new DuckDB file is written beside the published one and renamed over it: a BI reader
sees the whole previous version or the whole new one, never a mix, never a lock (readers
who opened the old file keep it). The warehouse itself is never opened by readers.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ..settings import DataDir
from .warehouse import connect
from .warehouse import quote_literal as ql

PUBLISHED_TABLES = {
    "customer_scores": "marts.customer_scores",
    "segment_summary": "marts.segment_summary",
    "customer_segment_history": "marts.customer_segment_history",
    "segment_migrations": "marts.segment_migrations",
    "campaign_performance": "marts.campaign_performance",
    "contact_rank_performance": "marts.contact_rank_performance",
    "survival_by_first_channel": "marts.survival_by_first_channel",
    "customer_profiles": "marts.customer_profiles",
    "predictive_group_forecast": "marts.predictive_group_forecast",
    "predictive_group_backtest": "marts.predictive_group_backtest",
}
# Tables that show one scoring date: a backfill of an older date does not replace them.
CURRENT_TABLES = (
    "customer_scores",
    "segment_summary",
    "campaign_performance",
    "contact_rank_performance",
    "survival_by_first_channel",
    "customer_profiles",
    "predictive_group_forecast",
    "predictive_group_backtest",
)
# Tables whose row counts publication_log keeps (its columns are fixed).
LOGGED_ROW_COUNTS = (
    "customer_scores",
    "segment_summary",
    "customer_segment_history",
    "segment_migrations",
)

_LOG_COLUMNS = """
    version bigint, scoring_date date, published_at timestamp, run_id varchar,
    customer_scores_rows bigint, segment_summary_rows bigint,
    customer_segment_history_rows bigint, segment_migrations_rows bigint,
    checks_passed varchar, checks_warned varchar, current_tables_kept boolean
"""


@dataclass(frozen=True)
class Publication:
    version: int
    scoring_date: date
    row_counts: dict[str, int]
    current_tables_kept: bool


def publish(
    layout: DataDir,
    scoring_date: date,
    run_id: str,
    checks_passed: list[str],
    checks_warned: list[str],
) -> Publication:
    """Build the next published version from the warehouse and swap it in atomically."""
    layout.published.mkdir(parents=True, exist_ok=True)
    target = layout.published_db
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    parquet_files: dict[str, Path] = {}
    try:
        with connect(staging) as con:
            con.execute(f"attach {ql(str(layout.warehouse))} as wh (read_only)")
            previous = target.exists()
            if previous:
                con.execute(f"attach {ql(str(target))} as prev (read_only)")
                con.execute("create table publication_log as select * from prev.publication_log")
            else:
                con.execute(f"create table publication_log ({_LOG_COLUMNS})")
            version, latest = con.execute(
                "select coalesce(max(version), 0) + 1, max(scoring_date) from publication_log"
            ).fetchone()
            keep_current = latest is not None and scoring_date < latest
            counts = {}
            for table, origin in PUBLISHED_TABLES.items():
                origin = f"wh.{origin}"
                if keep_current and table in CURRENT_TABLES:
                    origin = f"prev.main.{table}"
                con.execute(f"create table {table} as select * from {origin}")
                counts[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
            con.execute(
                "insert into publication_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    version,
                    scoring_date,
                    datetime.now(UTC).replace(tzinfo=None),
                    run_id,
                    *(counts[table] for table in LOGGED_ROW_COUNTS),
                    ", ".join(checks_passed),
                    ", ".join(checks_warned),
                    keep_current,
                ],
            )
            con.execute("detach wh")
            if previous:
                con.execute("detach prev")
            layout.published_parquet.mkdir(parents=True, exist_ok=True)
            for table in [*PUBLISHED_TABLES, "publication_log"]:
                final = layout.published_parquet / f"{table}.parquet"
                parquet_files[table] = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
                con.execute(f"copy {table} to {ql(str(parquet_files[table]))} (format parquet)")
        for table, temporary in parquet_files.items():
            os.replace(temporary, layout.published_parquet / f"{table}.parquet")
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        for temporary in parquet_files.values():
            temporary.unlink(missing_ok=True)
    return Publication(version, scoring_date, counts, keep_current)


def read_segment_table(path: Path) -> list[tuple]:
    """The published segment summary, as `make run` prints it."""
    with connect(path, read_only=True) as con:
        return con.execute(
            "select segment, customers, share, avg_monetary from segment_summary "
            "order by display_order"
        ).fetchall()
