"""A BI-style reader of published/segments.duckdb, run in its own process by test_quality.

    python bi_reader.py <segments.duckdb> <stop file> <result.json> fresh|pooled

Reads through SQLAlchemy + duckdb_engine, read-only, the way a BI tool does, in a loop until
the stop file exists (then once more, so the last read follows the last publication). Each
read, in one connection: the latest publication_log row's row counts and the actual
count(*) of every published table. A read whose counts differ from its log row is torn.

- fresh: a new connection per read, closed after it (NullPool): each read opens the file
  as it is now, so it sees new versions.
- pooled: create_engine's default pool (QueuePool for a file URL in duckdb_engine 0.17):
  the connection is returned to the pool and reused, i.e. it keeps the file it opened.

Writes a JSON summary: reads, errors, connect/read durations, torn reads, versions seen.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

TABLES = ("customer_scores", "segment_summary", "customer_segment_history", "segment_migrations")
SLOW_SECONDS = 1.0


def read_once(engine: sa.Engine) -> tuple[float, int, dict[str, int], dict[str, int]]:
    """(connect seconds, latest version, its logged row counts, actual row counts)."""
    started = time.perf_counter()
    with engine.connect() as conn:
        connected = time.perf_counter() - started
        version, *logged = conn.execute(
            sa.text(
                "select version, "
                + ", ".join(f"{t}_rows" for t in TABLES)
                + " from publication_log order by version desc limit 1"
            )
        ).one()
        actual = {
            t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in TABLES
        }
    return connected, version, dict(zip(TABLES, logged, strict=True)), actual


def main(db: str, stop: str, out: str, mode: str) -> None:
    pool = {"poolclass": NullPool} if mode == "fresh" else {}  # pooled: the dialect's default
    engine = sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True}, **pool)
    summary = {
        "mode": mode,
        "pool": type(engine.pool).__name__,
        "reads": 0,
        "errors": [],
        "slow_connects": 0,
        "slow_reads": 0,
        "max_connect_seconds": 0.0,
        "max_read_seconds": 0.0,
        "torn": [],
        "versions": [],
    }
    while not Path(db).exists():  # the first publication has not happened yet
        if Path(stop).exists():
            break
        time.sleep(0.05)
    last = False
    while not last:
        last = Path(stop).exists()
        started = time.perf_counter()
        try:
            connected, version, logged, actual = read_once(engine)
        except Exception as exc:  # every error counts, whatever its kind
            summary["errors"].append(f"{type(exc).__name__}: {exc}")
            continue
        finally:
            summary["reads"] += 1
        took = time.perf_counter() - started
        summary["slow_connects"] += connected > SLOW_SECONDS
        summary["slow_reads"] += took > SLOW_SECONDS
        summary["max_connect_seconds"] = max(summary["max_connect_seconds"], connected)
        summary["max_read_seconds"] = max(summary["max_read_seconds"], took)
        if logged != actual:
            summary["torn"].append({"version": version, "logged": logged, "actual": actual})
        if not summary["versions"] or summary["versions"][-1] != version:
            summary["versions"].append(version)
        time.sleep(0.1)  # a dashboard refreshing often, not a busy loop
    engine.dispose()
    Path(out).write_text(json.dumps(summary, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:5])
