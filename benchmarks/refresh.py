"""Full refresh: the whole pipeline, run by the project's CLI on landing CSV files, against
a bare DuckDB load of the same files plus the hand-written R/F/M query; then the daily
refresh after one new file of 1 % new order lines and the hourly refresh after 1 % new
events, each against the full refresh's time.

Data: the scoring benchmark's generator (customers, order lines, events, CRM notes,
campaigns and contacts in proportion; no invoices) at SHARE of its size (times `--scale`),
written as CSV files in the landing layout of the demo mapping (`landing/<source>/`, one
file per month for order lines and events, canonical column names, facts dated before
2026-11-01), in a data directory of the benchmark's own (the 1 % files are dated up to
2026-11-02: the loader refuses facts dated after its own day, so run it after that).
Measured, each in a fresh process (peak memory: the whole process
tree, the CLI and the dbt it starts):

* full refresh (ours): `python -m dagster_project run --scoring-date 2026-11-01` on the
  fresh data directory: every source loaded by the loader, every dbt model and test, the
  fitted models, the GX checks, publication and the report;
* baseline: each source's files into a table with a bare `read_csv`, then the scoring
  benchmark's hand-written R/F/M query;
* daily refresh: one new file of 1 % new order lines (dated 2026-11-01), then the CLI run
  for the next scoring date, 2026-11-02, as the morning schedule runs it (incremental);
* hourly refresh: one new file of 1 % new events (dated the morning of 2026-11-02), then
  `hourly_behaviour_refresh` narrowed as its schedule narrows it (only what depends on
  interactions when every other table holds the date).

Targets: full refresh <= 2x the baseline's time and at most 4 GiB; its checks (the GX
steps and the dbt tests) <= 15 % of its time; each refresh after a 1 % change <= 5 % of the
full refresh's time. Correctness: the project's
marts.customer_rfm has the customers, frequencies and recencies of the hand-written query.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.warehouse import quote_literal

from . import scoring
from ._measure import Comparison, GiB, Measurement, measure, print_ratio, quiet, scaled, timed
from ._targets import Target
from .runs import cli_run, project_environment

# The share of the scoring benchmark's sizes (1 M customers, 20 M lines, 50 M events) the
# whole pipeline runs on, so that `make bench` at full size stays within its time budget.
SHARE = 0.1
FULL_DATE = date(2026, 11, 1)
NEXT_DATE = date(2026, 11, 2)
# What the 1 % files change: new keys, dated the day before the next scoring date (order
# lines) or that morning (events, as an hour of the web site's activity).
NEW_LINES = {
    "order_id": "order_id || '-new'",
    "order_ts": "timestamp '2026-11-01' + (order_ts - order_ts::date)",
}
NEW_EVENTS = {
    "event_id": "event_id || '-new'",
    "event_ts": "timestamp '2026-11-02 06:00' + (event_ts - event_ts::date) / 6",
}


def _filled_columns(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The canonical columns the generator fills (the others stay out of the files)."""
    names = [column.name for column in SOURCES[source].columns]
    counts = con.execute(f"select {', '.join(f'count({n})' for n in names)} from raw.{source}")
    return [name for name, count in zip(names, counts.fetchone(), strict=True) if count]


def _before(source: str, day: date) -> str:
    """SQL: the row's facts are dated before `day` (planned dates may lie ahead)."""
    dated = [
        f"coalesce({column.name} < date '{day}', true)"
        for column in SOURCES[source].columns
        if column.type in ("timestamp", "date") and not column.future_allowed
    ]
    return " and ".join(dated) or "true"


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy ({select}) to {quote_literal(str(path))} (format csv, header true)")


def write_landing(work_dir: Path, customers: int, lines: int, interactions: int) -> int:
    """The generated sources as landing CSV files (one per `_source_file` of the generated
    rows), and the two 1 % files set aside in `later/`; returns the number of files.

    The files hold what a shop's export holds on the evening before the first scoring
    date: facts dated before it (the generator's run a month past it)."""
    scratch = work_dir / "generate.duckdb"
    scoring.generate(scratch, customers, lines, interactions)
    files = 0
    with quiet(duckdb.connect(str(scratch))) as con:
        for source in SOURCES:
            columns = _filled_columns(con, source)
            if not columns:
                continue
            names = con.execute(
                f"select distinct _source_file from raw.{source} "
                f"where {_before(source, FULL_DATE)} order by 1"
            )
            for (name,) in names.fetchall():
                select = (
                    f"select {', '.join(columns)} from raw.{source} "
                    f"where _source_file = {quote_literal(name)} "
                    f"and {_before(source, FULL_DATE)} order by _line_number"
                )
                _copy(con, select, work_dir / "data" / "landing" / name)
                files += 1
        for source, new, name in (
            ("transactions", NEW_LINES, "transactions/transactions_new.csv"),
            ("interactions", NEW_EVENTS, "interactions/interactions_new.csv"),
        ):
            columns = ", ".join(f"{new.get(c, c)} as {c}" for c in _filled_columns(con, source))
            select = f"select {columns} from raw.{source} where {_before(source, FULL_DATE)}"
            sample = "using sample 1 percent (bernoulli, 1)"
            _copy(con, f"{select} {sample}", work_dir / "later" / name)
    scratch.unlink()
    return files


# Money read as exact decimals, as any R/F/M must: read_csv's own guess, DOUBLE, makes an
# order whose return cancels it exactly (completed lines minus the returned one) worth
# 1e-13 and count it as an order.
EXACT_MONEY = {
    "transactions": "types = {'quantity': 'DECIMAL(18, 4)', 'unit_price': 'DECIMAL(18, 4)', "
    "'discount': 'DECIMAL(18, 4)'}",
}


def bare_load_and_query(landing: str, warehouse: str) -> int:
    """Every source's files into a table (`read_csv`, its own types except for money, no
    checks), then the hand-written R/F/M; returns the rows loaded."""
    loaded = 0
    with quiet(duckdb.connect(warehouse)) as con:
        con.execute("create schema raw")
        for source in sorted(p.name for p in Path(landing).iterdir()):
            files = quote_literal(str(Path(landing) / source / "*.csv"))
            money = f", {EXACT_MONEY[source]}" if source in EXACT_MONEY else ""
            con.execute(f"create table raw.{source} as select * from read_csv({files}{money})")
            loaded += con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        # The one canonical column the files leave out (the R/F/M query reads it).
        con.execute("alter table raw.transactions add column line_amount decimal(18, 2)")
        con.execute(scoring.HAND_RFM.format(date=FULL_DATE))
    return loaded


def rfm_totals(warehouse: str, table: str) -> tuple[int, int, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(
            f"select count(*), sum(frequency), sum(recency_days) from {table}"
        ).fetchone()


def hourly_refresh(root: str, scoring_date: date) -> str:
    """`hourly_behaviour_refresh` in this process, with the selection its schedule gives
    (the data directory's Dagster instance tells what each table holds)."""
    os.environ.update(project_environment(Path(root)))
    from dagster_project.__main__ import instance_of
    from dagster_project.definitions import defs
    from dagster_project.defs.automation import hourly_selection
    from dagster_project.settings import data_dir

    instance = instance_of(data_dir())
    partition = scoring_date.isoformat()
    narrowed = hourly_selection(instance, defs.get_repository_def().asset_graph, partition)
    log = data_dir().root / "logs" / f"hourly-{partition}.log"
    with log.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):  # dbt's
        result = defs.resolve_job_def("hourly_behaviour_refresh").execute_in_process(
            partition_key=partition,
            instance=instance,
            asset_selection=narrowed[0] if narrowed else None,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    if not result.success:
        from dagster_project.__main__ import failure_messages

        raise RuntimeError("the hourly refresh failed: " + "; ".join(failure_messages(result)))
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    return f"{len(built)} assets ({'narrowed' if narrowed else 'whole job'})"


# Steps of a run by what they do, from their keys (first match).
STEP_KINDS = {
    "checks": lambda key: "_gx_" in key,
    "ingestion": lambda key: key.startswith("raw__"),
    "dbt": lambda key: key.startswith("scoring_models"),
    "fitted models": lambda key: key.startswith("predictions__"),
    "publication": lambda key: key.startswith("published__"),
}


def last_run_steps(root: str) -> tuple[str, float]:
    """Where the data directory's latest run spent its time, by kind of step (the rest of
    a measured time is process start, imports and preparing the dbt manifest), and the
    seconds its checks took: the GX steps plus every dbt test's execution (its check
    result's `Execution Duration`; dbt's own bookkeeping around a test is not counted)."""
    import dagster as dg

    from dagster_project import settings

    home = settings.prepare_dagster_home(settings.data_dir(root))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        record = instance.get_run_records(limit=1)[0]
        run_id = record.dagster_run.run_id
        steps = instance.get_run_step_stats(run_id)
        evaluations = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
        ).records
    seconds = dict.fromkeys([*STEP_KINDS, "other"], 0.0)
    for step in steps:
        if step.start_time is None or step.end_time is None:  # skipped: nothing to read
            continue
        kind = next((k for k, match in STEP_KINDS.items() if match(step.step_key)), "other")
        seconds[kind] += step.end_time - step.start_time
    dbt_tests = 0.0
    for evaluation in evaluations:
        duration = evaluation.event_log_entry.dagster_event.event_specific_data.metadata.get(
            "Execution Duration"
        )
        dbt_tests += duration.value if duration is not None else 0.0
    parts = ", ".join(f"{kind} {s:.1f} s" for kind, s in seconds.items() if s)
    text = f"run {record.end_time - record.start_time:.1f} s: {parts}; dbt tests {dbt_tests:.1f} s"
    return text, seconds["checks"] + dbt_tests


def share_of(ratio: float) -> Target:
    """A target on time alone: at most `ratio` of the full refresh's."""
    return Target(time_ratio=ratio, memory_ratio=None)


def _add(work_dir: Path, name: str) -> int:
    """Move a file set aside into the landing folder; return its lines."""
    target = work_dir / "data" / "landing" / name
    shutil.move(work_dir / "later" / name, target)
    with target.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def run(work_dir: Path, scale: float) -> list[Comparison]:
    customers = scaled(scoring.CUSTOMERS, scale * SHARE, minimum=100)
    lines = scaled(scoring.LINES, scale * SHARE, minimum=1000)
    interactions = scaled(scoring.INTERACTIONS, scale * SHARE, minimum=1000)
    root, landing = work_dir / "data", work_dir / "data" / "landing"
    print(
        f"\n== Full refresh: the CLI on {customers:,} customers, {lines:,} order lines, "
        f"{interactions:,} interactions in landing CSV files, as of {FULL_DATE}",
        flush=True,
    )
    files = timed(
        "generate landing CSV files", write_landing, work_dir, customers, lines, interactions
    )
    megabytes = sum(p.stat().st_size for p in landing.rglob("*.csv")) / 1e6
    print(f"  {files} files, {megabytes:,.0f} MB of CSV", flush=True)
    full = measure("full refresh: CLI run", lines, cli_run, str(root), FULL_DATE)
    steps, check_seconds = last_run_steps(str(root))
    print(f"    of which {steps}", flush=True)
    checks = Measurement("checks: GX steps + dbt tests", check_seconds, 0, lines)
    print(checks.line(), flush=True)
    bare_db = str(work_dir / "bare.duckdb")
    bare = measure(
        "bare read_csv + hand-written RFM", lines, bare_load_and_query, str(landing), bare_db
    )
    ours_rfm = rfm_totals(str(root / "warehouse.duckdb"), "marts.customer_rfm")
    hand_rfm = rfm_totals(bare_db, "main.bench_hand_rfm")
    print(f"  R/F/M customers, frequencies, recencies: ours {ours_rfm}, hand-written {hand_rfm}")
    if ours_rfm != hand_rfm:
        raise SystemExit("refresh: the project's R/F/M differ from the hand-written query's")
    comparison = Comparison("full refresh", full, bare, target=Target(2, None, 4 * GiB))
    print_ratio(comparison)

    added = timed("add 1 % new order lines", _add, work_dir, "transactions/transactions_new.csv")
    daily = measure(f"daily refresh (+{added:,} lines)", added, cli_run, str(root), NEXT_DATE)
    print(f"    of which {last_run_steps(str(root))[0]}", flush=True)
    added = timed("add 1 % new events", _add, work_dir, "interactions/interactions_new.csv")
    hourly = measure(
        f"hourly refresh (+{added:,} events)", added, hourly_refresh, str(root), NEXT_DATE
    )
    print(f"    of which {last_run_steps(str(root))[0]}; {hourly.result}", flush=True)
    refreshes = [
        Comparison("daily, +1 % lines", daily, full, "vs the full refresh", share_of(0.05)),
        Comparison("hourly, +1 % events", hourly, full, "vs the full refresh", share_of(0.05)),
    ]
    for refresh in refreshes:
        print_ratio(refresh)
    checked = Comparison("full refresh checks", checks, full, target=share_of(0.15))
    return [comparison, checked, *refreshes]
