"""Atomic publication of the checked marts into `published/segments.duckdb` and Parquet.

A new DuckDB file is written beside the published one and renamed over it: a BI reader
sees the whole previous version or the whole new one, never a mix, never a lock (readers
who opened the old file keep it). The warehouse itself is never opened by readers.

The DuckDB file is written in an older storage format (`publish_storage_version`) so that
the DuckDB 1.x readers BI tools ship can open it. Parquet files go to a new version folder
per publication (`parquet/v000042/`); the `parquet/current` symlink is then replaced by a
rename, so a reader that resolves it once reads every table from one version. The last
`parquet_versions_kept` version folders stay on disk for readers still on an older one.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from .. import settings
from ..settings import DataDir
from .memory import bound_memory
from .personal_data import published_select, salt
from .warehouse import connect
from .warehouse import quote_literal as ql

PUBLISHED_TABLES = {
    "customer_scores": "marts.customer_scores",
    "customer_score_contributions": "marts.customer_score_contributions",
    "segment_summary": "marts.segment_summary",
    "customer_segment_history": "marts.customer_segment_history",
    "segment_migrations": "marts.segment_migrations",
    "customer_predictions": "marts.customer_predictions",
    "segment_kpis": "marts.segment_kpis",
    "score_calibration": "marts.score_calibration",
    "receivables_by_customer": "marts.receivables_by_customer",
    "campaign_performance": "marts.campaign_performance",
    "contact_rank_performance": "marts.contact_rank_performance",
    "survival_by_first_channel": "marts.survival_by_first_channel",
    "customer_profiles": "marts.customer_profiles",
    "predictive_group_forecast": "marts.predictive_group_forecast",
    "predictive_group_backtest": "marts.predictive_group_backtest",
    "prediction_backtest": "marts.prediction_backtest",
}
# Tables that show one scoring date: a backfill of an older date does not replace them.
CURRENT_TABLES = (
    "customer_scores",
    "customer_score_contributions",
    "segment_summary",
    "customer_predictions",
    "segment_kpis",
    "score_calibration",
    "receivables_by_customer",
    "campaign_performance",
    "contact_rank_performance",
    "survival_by_first_channel",
    "customer_profiles",
    "predictive_group_forecast",
    "predictive_group_backtest",
    "prediction_backtest",
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
    personal_data: bool = False,
) -> Publication:
    """Build the next published version from the warehouse and swap it in atomically.

    E-mail and names are published only with `personal_data` (see lib/personal_data.py).
    """
    layout.published.mkdir(parents=True, exist_ok=True)
    remove_leftovers(layout.published)
    target = layout.published_db
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    parquet_staging: Path | None = None
    storage = {"storage_compatibility_version": settings.publish_storage_version()}
    versions_kept = settings.parquet_versions_kept()
    try:
        with connect(staging, config=storage) as con:
            bound_memory(con, layout.root)
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
                if keep_current and table in CURRENT_TABLES and _has_table(con, "prev", table):
                    origin = f"prev.main.{table}"
                columns = [c[0] for c in con.execute(f"describe select * from {origin}").fetchall()]
                chosen = published_select(columns, personal_data, ql(salt(layout.root)))
                con.execute(f"create table {table} as select {chosen} from {origin}")
                counts[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
            # By name, adding a count column for a table published for the first time.
            for table in counts:
                con.execute(
                    f"alter table publication_log add column if not exists {table}_rows bigint"
                )
            entry = {
                "version": version,
                "scoring_date": scoring_date,
                "published_at": datetime.now(UTC).replace(tzinfo=None),
                "run_id": run_id,
                **{f"{table}_rows": count for table, count in counts.items()},
                "checks_passed": ", ".join(checks_passed),
                "checks_warned": ", ".join(checks_warned),
                "current_tables_kept": keep_current,
            }
            con.execute(
                f"insert into publication_log ({', '.join(entry)}) "
                f"values ({', '.join('?' * len(entry))})",
                list(entry.values()),
            )
            con.execute("detach wh")
            if previous:
                con.execute("detach prev")
            parquet_staging = write_parquet_folder(con, layout.published_parquet)
        version_folder = layout.published_parquet / parquet_version_name(version)
        if version_folder.exists():  # left by a run killed before it published this version
            shutil.rmtree(version_folder)
        os.replace(parquet_staging, version_folder)
        os.replace(staging, target)
        switch_current(layout.published_parquet, version_folder)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
        if parquet_staging is not None and parquet_staging.exists():
            shutil.rmtree(parquet_staging)
    prune_parquet_versions(layout.published_parquet, versions_kept)
    return Publication(version, scoring_date, counts, keep_current)


_VERSION_FOLDER = re.compile(r"v(\d{6,})")


def parquet_version_name(version: int) -> str:
    """The folder of one published version under `parquet/` (sorts by version)."""
    return f"v{version:06d}"


def write_parquet_folder(con: duckdb.DuckDBPyConnection, parquet_root: Path) -> Path:
    """Every table of the database `con` is on, as `<table>.parquet` in a new hidden folder."""
    parquet_root.mkdir(parents=True, exist_ok=True)
    folder = parquet_root / f".v.{uuid.uuid4().hex}.tmp"
    folder.mkdir()
    tables = [*PUBLISHED_TABLES, "publication_log"]
    for table in tables:
        con.execute(f"copy {table} to {ql(str(folder / f'{table}.parquet'))} (format parquet)")
    return folder


def switch_current(parquet_root: Path, version_folder: Path) -> None:
    """Point `parquet/current` at `version_folder` in one rename (a relative symlink)."""
    pointer = parquet_root / "current"
    temporary = parquet_root / f".current.{uuid.uuid4().hex}.tmp"
    temporary.symlink_to(version_folder.name, target_is_directory=True)
    try:
        os.replace(temporary, pointer)
    finally:
        temporary.unlink(missing_ok=True)


def prune_parquet_versions(parquet_root: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` version folders (never the current one), the leftovers
    of killed runs, and the per-table files of the layout before version folders."""
    current = (parquet_root / "current").resolve()
    versions = sorted(
        (p for p in parquet_root.iterdir() if p.is_dir() and _VERSION_FOLDER.fullmatch(p.name)),
        key=lambda p: int(p.name[1:]),
    )
    removed = [p for p in versions[:-keep] if p.resolve() != current]
    removed += [p for p in parquet_root.glob(".*.tmp")]
    removed += [p for p in parquet_root.glob("*.parquet") if p.is_file()]
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def _has_table(con, database: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and table_name = ?",
            [database, table],
        ).fetchone()[0]
    )


def remove_leftovers(folder: Path) -> None:
    """Half-written files of a publication that was killed (its `finally` never ran).

    Only publication writes here, and it runs in the writer pool: none is in flight now.
    """
    for leftover in [*folder.rglob(".*.tmp"), *folder.rglob(".*.tmp.wal")]:
        if leftover.is_file():
            leftover.unlink(missing_ok=True)


def read_segment_table(path: Path) -> list[tuple]:
    """The published segment summary, as `make run` prints it."""
    with connect(path, read_only=True) as con:
        return con.execute(
            "select segment, customers, share, avg_monetary from segment_summary "
            "order by display_order"
        ).fetchall()
