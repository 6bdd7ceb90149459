"""Ingestion: the project's loader against a bare DuckDB `read_csv` of the same files.

Data: 10 million order lines (times `--scale`) in the canonical transaction columns, as
10 monthly CSV files written by DuckDB itself (`COPY (select ... from range(n)) TO`).
Values are derived from hashes of the row number, so every run writes the same files.

Measured, each in a fresh process into a fresh DuckDB file:

* ours: `load_source` with the demo mapping (`demo_sources.yml`), exactly as the ingestion
  asset calls it: content hash of each file, mapping checks, typing of every column,
  quarantine of bad rows, deduplication on (order_id, order_line) and the load manifest.
* bare: `create table t as select * from read_csv([files], header=true)`: the fastest way
  DuckDB loads these files, with its own type detection and no checks at all.

Each side runs in its own fresh process; its peak memory is that process's peak resident
set (see `_measure.py`). The baseline is the floor any loader built on DuckDB can reach on
this machine (same files, same engine, same threads, same disk), so the ratios are the
price of the checks and the lineage. The targets: within 1.5x of the baseline's
time and 1.5x of its peak memory, printed as a table with pass/fail. Correctness: both
tables must hold every generated row, and the same total amount.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.lib.loader import load_source
from dagster_project.lib.sources import load_mapping
from dagster_project.lib.warehouse import connect
from dagster_project.settings import DEMO_SOURCES_FILE

from ._measure import Comparison, measure, print_ratio, quiet, scaled, timed
from ._targets import Target, print_table, target_rows
from .order_lines import LINES_PER_ORDER, order_lines_sql

LINES = 10_000_000
FILES = 10


def generate(landing: Path, lines: int) -> list[str]:
    """Write `lines` order lines as FILES CSV files (one per month); return their paths."""
    landing.mkdir(parents=True, exist_ok=True)
    orders = -(-lines // LINES_PER_ORDER)
    # File boundaries fall between orders, so no order is split over two files.
    step = lines // FILES // LINES_PER_ORDER * LINES_PER_ORDER
    bounds = [step * k for k in range(FILES)] + [lines]
    paths = []
    with quiet(duckdb.connect()) as con:
        for month, (start, stop) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
            path = landing / f"transactions_2026-{month:02d}.csv"
            select = order_lines_sql(
                start,
                stop,
                customer_ref=f"'C' || lpad((g % {max(1, lines // 20)})::varchar, 8, '0')",
                # Orders spread evenly over 300 days of 2026, in file order.
                order_ts=(
                    "strftime(timestamp '2026-01-01' + to_seconds("
                    f"(i // {LINES_PER_ORDER}) * {300 * 86_400} // {orders}), '%Y-%m-%d %H:%M:%S')"
                ),
            )
            con.execute(f"copy ({select}) to '{path}' (format csv, header true)")
            paths.append(str(path))
    return paths


def load_with_project_loader(data_root: str, warehouse: str) -> dict[str, int]:
    """The ingestion asset's call: the demo mapping's `transactions` source, all files."""
    config = load_mapping(DEMO_SOURCES_FILE)["transactions"]
    with connect(Path(warehouse)) as con:
        result = load_source(quiet(con), config, Path(data_root), "transactions")
    return {
        "files": len(result.files),
        "read": result.total("rows_read"),
        "loaded": result.total("rows_loaded"),
        "quarantined": result.total("rows_quarantined"),
        "duplicates": result.total("rows_duplicate"),
        "table_rows": result.table_rows,
        "read_by": sorted({f.read_by for f in result.files}),
    }


def load_bare(files: list[str], warehouse: str) -> None:
    file_list = ", ".join(f"'{f}'" for f in files)
    with quiet(duckdb.connect(warehouse)) as con:
        con.execute(f"create table t as select * from read_csv([{file_list}], header=true)")


def _count_and_amount(warehouse: Path, table: str) -> tuple[int, Decimal]:
    # bare read_csv types unit_price as double: back to exact cents before summing.
    query = f"select count(*), sum(quantity * unit_price::decimal(18, 2)) from {table}"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchone()


def run(work_dir: Path, scale: float) -> list[Comparison]:
    lines = scaled(LINES, scale, minimum=FILES * LINES_PER_ORDER)
    ours_db, bare_db = work_dir / "ours.duckdb", work_dir / "bare.duckdb"
    print(f"\n== Ingestion: {lines:,} transaction lines in {FILES} CSV files", flush=True)
    # The demo mapping reads landing/transactions/*.csv under the data directory.
    landing = work_dir / "landing" / "transactions"
    files = timed("generate CSV (DuckDB COPY)", generate, landing, lines)
    megabytes = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"  {megabytes:,.0f} MB of CSV", flush=True)

    loader = load_with_project_loader
    ours = measure("ours: load_source", lines, loader, str(work_dir), str(ours_db))
    bare = measure("bare: read_csv", lines, load_bare, files, str(bare_db))
    comparison = Comparison("ingestion", ours, bare, "issue target: within 1.5x", Target())
    print_ratio(comparison)
    print_table(target_rows(f"ingestion of {lines:,} lines", comparison, Target()))

    stats = ours.result
    ours_rows, ours_amount = _count_and_amount(ours_db, "raw.transactions")
    bare_rows, bare_amount = _count_and_amount(bare_db, "t")
    print(
        f"  rows: generated {lines:,}, ours loaded {stats['loaded']:,} "
        f"(table {ours_rows:,}, quarantined {stats['quarantined']:,}, "
        f"duplicates {stats['duplicates']:,}; files read by {'+'.join(stats['read_by'])}), "
        f"bare {bare_rows:,}",
        flush=True,
    )
    if not (stats["loaded"] == ours_rows == bare_rows == lines and stats["files"] == FILES):
        raise SystemExit(f"ingestion: row counts differ from the {lines:,} generated lines")
    if ours_amount != bare_amount:
        raise SystemExit(f"ingestion: amounts differ: ours {ours_amount}, bare {bare_amount}")
    return [comparison]
