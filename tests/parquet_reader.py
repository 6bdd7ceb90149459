"""A Parquet reader following `published/parquet/current`, run in its own process by tests.

    python parquet_reader.py <published/parquet> <stop file> <result.json>

In a loop until the stop file exists (then once more): resolve the `current` pointer once,
then read every table from the folder it names, as the README tells scripts to. A read is
mixed when a table's row count differs from what that folder's publication_log says, or
when the folder is not the version its log names. Writes a JSON summary.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

TABLES = ("customer_scores", "segment_summary", "customer_segment_history", "segment_migrations")


def read_once(root: Path) -> tuple[str, int, dict[str, int], dict[str, int]]:
    """(folder, latest version in its log, logged row counts, actual row counts)."""
    folder = Path(os.path.realpath(root / "current"))
    con = duckdb.connect()
    try:
        version, *logged = con.execute(
            "select version, "
            + ", ".join(f"{t}_rows" for t in TABLES)
            + f" from read_parquet('{folder / 'publication_log.parquet'}')"
            " order by version desc limit 1"
        ).fetchone()
        actual = {}
        for table in TABLES:
            path = folder / f"{table}.parquet"
            (actual[table],) = con.execute(f"select count(*) from '{path}'").fetchone()
    finally:
        con.close()
    return folder.name, version, dict(zip(TABLES, logged, strict=True)), actual


def main(root: str, stop: str, out: str) -> None:
    summary = {"reads": 0, "errors": [], "mixed": [], "versions": []}
    while not (Path(root) / "current").exists():  # nothing published yet
        if Path(stop).exists():
            break
        time.sleep(0.02)
    last = False
    while not last:
        last = Path(stop).exists()
        try:
            folder, version, logged, actual = read_once(Path(root))
        except Exception as exc:  # every error counts, whatever its kind
            summary["errors"].append(f"{type(exc).__name__}: {exc}")
            continue
        finally:
            summary["reads"] += 1
        if logged != actual or folder != f"v{version:06d}":
            summary["mixed"].append(
                {"folder": folder, "version": version, "logged": logged, "actual": actual}
            )
        if not summary["versions"] or summary["versions"][-1] != version:
            summary["versions"].append(version)
        time.sleep(0.01)
    Path(out).write_text(json.dumps(summary, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
