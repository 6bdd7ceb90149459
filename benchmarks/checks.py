"""Checks: every Great Expectations suite on the scoring benchmark's warehouse, timed against
the `dbt build` of the same run.

The suites run as the Dagster checks run them (`defs/quality.validate_suite`): the query's
rows in a temporary DuckDB table, GX on batches of at most `SCORING_GX_BATCH_ROWS` rows (a
hash of each uniqueness key decides the batch). Suites whose tables the scoring benchmark
does not build (those reading the fitted predictions, e.g. customer_scores) are skipped and
named. Target: all checks together at most 15 % of the `dbt build`'s time (stricter than
the target of 15 % of a full refresh, which also loads and publishes) and a peak memory no
higher than the build's, so the checks never set a refresh's peak.

At `--scale` 0.1 or less the suites also run the way the checks ran before batching, for
comparison: each query's whole result with every column in one DataFrame, given to GX's
`Batch.validate` (at full size that would hold 50 million events in pandas).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import great_expectations as gx

from dagster_project.defs.quality import suite_parameters, validate_suite
from dagster_project.defs.resources import ScoringSettings, Warehouse
from dagster_project.lib import expectations
from dagster_project.settings import DEFAULT_GX_BATCH_ROWS, DEMO_SOURCES_FILE, EXPECTATIONS_DIR

from ._measure import Comparison, Measurement, measure, print_ratio
from ._targets import Target, print_table, target_rows

TARGET = Target(time_ratio=0.15, memory_ratio=1.0)
FORMER_WAY_UP_TO_SCALE = 0.1


def _suites_with_tables(
    con: duckdb.DuckDBPyConnection, scoring_date: date
) -> list[expectations.SuiteFile]:
    """The suites whose query runs on this warehouse (the others read unbuilt tables)."""
    runnable = []
    for suite in expectations.load_suites(EXPECTATIONS_DIR):
        try:
            con.execute(f"select * from ({suite.sql(scoring_date)}) limit 0")
        except duckdb.CatalogException:
            continue
        runnable.append(suite)
    return runnable


def run_checks(warehouse: str, scoring_date: str, batch_rows: int) -> list[tuple]:
    """Every runnable suite, batched as in a run: (suite, rows, batches, seconds, failures)."""
    day = date.fromisoformat(scoring_date)
    settings = ScoringSettings(
        data_dir=str(Path(warehouse).parent),
        sources_file=str(DEMO_SOURCES_FILE),
        gx_batch_rows=batch_rows,
    )
    store = Warehouse(settings=settings)
    with store.connect(read_only=True) as con:
        suites = _suites_with_tables(con, day)
    lines = [("(before the first suite: imports)", 0, 0, 0.0, _resident_mib())]
    for suite in suites:
        start = time.perf_counter()
        outcome = validate_suite(store, suite, day)
        seconds = time.perf_counter() - start
        lines.append((suite.name, outcome.rows, outcome.batches, seconds, len(outcome.failures)))
    return lines


def run_checks_in_one_frame(warehouse: str, scoring_date: str) -> list[tuple]:
    """The former check: each query's whole result, every column, in one DataFrame given to
    `Batch.validate` with GX's SUMMARY results (and its fingerprint of the frame)."""
    day = date.fromisoformat(scoring_date)
    lines = []
    with duckdb.connect(warehouse, read_only=True) as con:
        suites = _suites_with_tables(con, day)
        lines.append(("(before the first suite: imports)", 0, 0, 0.0, _resident_mib()))
        for suite in suites:
            start = time.perf_counter()
            frame = con.execute(suite.sql(day)).df()
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = {"globally": False}
            batch = (
                context.data_sources.add_pandas(f"{suite.name}_source")
                .add_dataframe_asset(suite.name)
                .add_batch_definition_whole_dataframe("whole")
                .get_batch(batch_parameters={"dataframe": frame})
            )
            result = batch.validate(
                expectations.build_suite(suite),
                expectation_parameters=suite_parameters(con, day),
                result_format="SUMMARY",
            )
            failures = sum(not item.success for item in result.results)
            rows = len(frame)
            del frame, batch
            lines.append((suite.name, rows, 1, time.perf_counter() - start, failures))
    return lines


def _resident_mib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) >> 10


def _print_suites(measurement: Measurement) -> None:
    for name, rows, batches, seconds, failures in measurement.result:
        if not rows and name.startswith("("):
            print(f"    {name}: {failures} MiB resident", flush=True)
            continue
        print(
            f"    {name:<24} {rows:>12,} rows {batches:>4} batch(es) {seconds:8.2f} s"
            f"  {failures} expectation(s) failed",
            flush=True,
        )


def run(warehouse: Path, scoring_date: str, build: Measurement, scale: float) -> list[Comparison]:
    """Measure the checks on the scoring benchmark's warehouse after its `dbt build`."""
    day = date.fromisoformat(scoring_date)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runnable = _suites_with_tables(con, day)
        rows = sum(
            con.execute(f"select count(*) from ({s.sql(day)})").fetchone()[0] for s in runnable
        )
    names = {s.name for s in runnable}
    skipped = sorted({s.name for s in expectations.load_suites(EXPECTATIONS_DIR)} - names)
    print(
        f"  checks: {len(runnable)} GX suites on {rows:,} rows; skipped (tables not built "
        f"here): {', '.join(skipped) or 'none'}",
        flush=True,
    )
    batched = measure(
        f"GX checks, batches of {DEFAULT_GX_BATCH_ROWS:,}",
        rows,
        run_checks,
        str(warehouse),
        scoring_date,
        DEFAULT_GX_BATCH_ROWS,
    )
    _print_suites(batched)
    comparisons = [Comparison("checks (GX suites)", batched, build, note="vs dbt build")]
    print_ratio(comparisons[0])
    if scale <= FORMER_WAY_UP_TO_SCALE:
        one_frame = (run_checks_in_one_frame, str(warehouse), scoring_date)
        whole = measure("GX checks, the former way", rows, *one_frame)
        _print_suites(whole)
        comparisons.append(Comparison("checks, former way", whole, build, note="one frame"))
        print_ratio(comparisons[1])
    print_table(target_rows("GX checks vs dbt build", comparisons[0], TARGET))
    return comparisons
