"""What the loads left in quarantine, in words: the first thing a failed run tells its user.

When a source's landing files are mostly rejected, every later failure (empty staging
tables, dbt tests on empty marts) is a symptom; the user must fix the files or the
mapping, so the message names the source, the share quarantined, the files and the most
frequent reasons.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def quarantine_causes(warehouse: Path, max_share: float, max_file_share: float) -> list[str]:
    """One sentence per source whose present files have more than `max_share` of their rows
    quarantined, or one file more than `max_file_share` of its own; empty when the warehouse
    cannot be read (the run's own errors then speak)."""
    if not warehouse.exists():
        return []
    try:
        with _connect(warehouse) as con:
            return [
                _describe(con, source, int(read), int(quarantined), (max_share, max_file_share))
                for source, read, quarantined in con.execute(
                    "select source, sum(rows_read), sum(rows_quarantined) from raw.load_manifest "
                    "where is_present group by source "
                    "having sum(rows_quarantined) > ? * sum(rows_read) "
                    "or max(rows_quarantined / nullif(rows_read, 0)) > ? order by source",
                    [max_share, max_file_share],
                ).fetchall()
            ]
    except duckdb.Error:
        return []


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, unless this process already holds the file open (an in-process run)."""
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:
        return duckdb.connect(str(warehouse))


def _describe(
    con: duckdb.DuckDBPyConnection,
    source: str,
    read: int,
    quarantined: int,
    limits: tuple[float, float],
) -> str:
    files = con.execute(
        "select file_path, rows_quarantined, rows_read from raw.load_manifest "
        "where source = ? and is_present and rows_quarantined > 0 "
        "order by rows_quarantined desc, file_path limit 3",
        [source],
    ).fetchall()
    # Reasons grouped without their values ("unparsable order_ts"), one value as an example.
    reasons = con.execute(
        "select regexp_replace(q.reason, ' ''[^'']*''', '', 'g') as kind, count(*), "
        "regexp_extract(min(q.reason), '''[^'']*''') from raw.quarantine q "
        "join raw.load_manifest m "
        "on q.source = m.source and q.file_path = m.file_path and m.is_present "
        "where q.source = ? group by kind order by 2 desc, 1 limit 3",
        [source],
    ).fetchall()
    in_files = ", ".join(f"{path} ({q} of {r})" for path, q, r in files)
    top = "; ".join(
        f"{kind} ({count}{', e.g. ' + example if example else ''})"
        for kind, count, example in reasons
    )
    max_share, max_file_share = limits
    return (
        f"{quarantined / read:.1%} of the {source} rows were quarantined ({quarantined} of "
        f"{read}; limits {max_share:.0%} of a source, {max_file_share:.0%} of a file) in "
        f"{in_files}; top reasons: {top}. The rows and their reasons are in raw.quarantine: "
        "fix the files or sources.yml and run again."
    )
