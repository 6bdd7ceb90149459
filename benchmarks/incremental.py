"""Incremental refresh: `dbt build` after one new order file of 1 % new lines, against a
`dbt build --full-refresh` of the same warehouse.

Data: the scoring benchmark's warehouse, built in full, as that benchmark left it when it
ran before in the same invocation; else its raw tables generated (its `generate`, times
`--scale`) and built here (setup). Then one new file is added as a load leaves it: 1 % of
the order lines again under new order ids, with their own file name and hash, and a
manifest row. Measured, each in a fresh process, with the models that read fitted
predictions left out (and the unit tests, as runs leave them out):

* incremental: `dbt build`; the staging tables of order lines, events and notes add only
  the new file's rows, everything downstream is rebuilt;
* the three incremental staging models alone, incremental and `--full-refresh`, where the
  incremental models' gain shows undiluted;
* full refresh: `dbt build --full-refresh`, every model from raw.

Correctness: the staged order lines equal raw's (count and keys) after the incremental build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import scoring
from ._measure import Comparison, measure, print_ratio, quiet, scaled, timed

STAGING = ["run", "--select", "stg_transactions", "stg_interactions", "stg_crm_notes"]


def add_new_file(warehouse: str, day: int) -> int:
    """1 % of the order lines again as one new file (new order ids), as a load adds it."""
    path, digest = f"transactions/transactions_new_{day}.csv", f"sha256:new-{day}"
    with quiet(duckdb.connect(warehouse)) as con:
        con.execute(
            "insert into raw.transactions select * replace ("
            f"order_id || '-new{day}' as order_id, '{path}' as _source_file, "
            f"'{digest}' as _file_hash, timestamp '2026-11-02 05:00' as _loaded_at) "
            f"from raw.transactions using sample 1 percent (bernoulli, {day})"
        )
        added = con.execute(
            "select count(*) from raw.transactions where _source_file = ?", [path]
        ).fetchone()[0]
        con.execute(
            "insert into raw.load_manifest values ('transactions', ?, ?, "
            "'loaded', ?, ?, 0, 0, 0, 0, timestamp '2026-11-02 05:00', true)",
            [path, digest, added, added],
        )
        return added


def staged_lines_match_raw(warehouse: str) -> None:
    with duckdb.connect(warehouse, read_only=True) as con:
        differ = con.execute(
            "select (select count(*) from raw.transactions) - "
            "(select count(*) from staging.stg_transactions), (select count(*) from ("
            "select order_id, order_line from raw.transactions except "
            "select order_id, order_line from staging.stg_transactions))"
        ).fetchone()
    if differ != (0, 0):
        raise SystemExit(f"incremental: staged order lines differ from raw: {differ}")


def run(work_dir: Path, scale: float) -> list[Comparison]:
    customers = scaled(scoring.CUSTOMERS, scale, minimum=100)
    lines = scaled(scoring.LINES, scale, minimum=1000)
    interactions = scaled(scoring.INTERACTIONS, scale, minimum=1000)
    print(
        f"\n== Incremental refresh: {customers:,} customers, {lines:,} order lines, "
        f"{interactions:,} interactions, then one new file of 1 % new order lines",
        flush=True,
    )
    built = scoring.built_warehouse_dir(work_dir)
    if built.exists():  # the same dbt target too: dbt parses partially, as it would here
        warehouse, target = str(built / "warehouse.duckdb"), str(built / "dbt-target")
        print("  the scoring benchmark's warehouse, built in full (setup)", flush=True)
    else:
        warehouse, target = str(work_dir / "warehouse.duckdb"), str(work_dir / "dbt-target")
        timed(
            "generate raw.* (DuckDB SQL)",
            scoring.generate,
            Path(warehouse),
            customers,
            lines,
            interactions,
        )
        timed("dbt seed + first build (setup)", scoring.run_dbt, scoring.BUILD, warehouse, target)
    added = timed("add one new file (1 % lines)", add_new_file, warehouse, 1)
    staging = measure("staging, incremental", added, scoring.run_dbt, STAGING, warehouse, target)
    staged_lines_match_raw(warehouse)
    added = timed("add another new file (1 % lines)", add_new_file, warehouse, 2)
    incremental = measure(
        "dbt build, incremental", added, scoring.run_dbt, scoring.BUILD, warehouse, target
    )
    print(f"    of which {incremental.result}", flush=True)
    staged_lines_match_raw(warehouse)
    refresh = "--full-refresh"
    full_staging = measure(
        "staging, --full-refresh", lines, scoring.run_dbt, [*STAGING, refresh], warehouse, target
    )
    full_build = [*scoring.BUILD, refresh]
    full = measure(
        "dbt build --full-refresh", lines, scoring.run_dbt, full_build, warehouse, target
    )
    print(f"    of which {full.result}", flush=True)
    comparisons = [
        Comparison("staging +1 % lines", staging, full_staging, note="vs staging full refresh"),
        Comparison("dbt build +1 % lines", incremental, full, note="vs dbt build --full-refresh"),
    ]
    for comparison in comparisons:
        print_ratio(comparison)
    return comparisons
