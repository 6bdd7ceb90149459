"""Quality gates and publication: a failed expectation never reaches BI, publishing needs the
checks, and BI readers in another process never see a torn or locked published file.

Real DuckDB files, real dbt, real Dagster runs, real Great Expectations: no mocks.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from conftest import (
    SCORING_DATE,
    PipelineRun,
    failure_text,
    file_digests,
    make_demo_run,
    materialized,
    publication_log,
    run_daily,
)

from dagster_project import settings
from dagster_project.defs.publication import PUBLICATION_CHECKS, published_segments
from dagster_project.defs.resources import ScoringSettings, build_resources
from dagster_project.demo import COLUMNS
from dagster_project.lib.expectations import load_suites
from dagster_project.lib.publisher import PUBLISHED_TABLES

SMALL = 200  # customers, for tests that need a data directory of their own
PARAMETERS = yaml.safe_load((settings.EXPECTATIONS_DIR / "parameters.yml").read_text())
HEADER = COLUMNS["transactions"]
# The table the load-quality suite guards (its check is named after the suite).
(LOAD_QUALITY_ASSET,) = [
    "/".join(s.asset) for s in load_suites(settings.EXPECTATIONS_DIR) if s.name == "load_quality"
]


pytestmark = pytest.mark.usefixtures("restored_environment")


def crm_ids(layout: settings.DataDir, count: int) -> list[str]:
    with (layout.landing_for("crm_customers") / "crm_customers.csv").open(newline="") as handle:
        return [row["customer_id"] for row in csv.DictReader(handle)][:count]


def write_export(path: Path, customers: list[str], rows: int, malformed: int) -> None:
    """An order export of `rows` lines; the first `malformed` have a day-first order_ts."""
    lines = [",".join(HEADER)]
    for i in range(rows):
        ts = "20/10/2026 10:00:00" if i < malformed else "2026-10-20 10:00:00"
        customer = customers[i % len(customers)]
        lines.append(f"LATE{i:05d},1,{customer},{ts},web,P0001,shoes,1,19.90,0.00,EUR,completed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def warehouse_rows(layout: settings.DataDir, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def published_count(layout: settings.DataDir, table: str) -> int:
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def order_totals(layout: settings.DataDir, customers: list[str]) -> dict[str, tuple]:
    """Published orders_total and net_revenue_total of these customers."""
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        rows = con.execute(
            "select customer_id, orders_total, net_revenue_total from customer_scores "
            "where list_contains(?, customer_id)",
            [customers],
        ).fetchall()
    return {customer: (orders, revenue) for customer, orders, revenue in rows}


# -- 1. a file that breaks a blocking expectation -------------------------------------------
@pytest.mark.slow
def test_failed_expectation_keeps_the_published_version_until_the_file_is_fixed(
    tmp_path: Path,
) -> None:
    good = make_demo_run(tmp_path / "data", customers=SMALL)
    assert good.result.success, failure_text(good.result)
    layout = good.layout
    published_bytes = layout.published_db.read_bytes()
    published_files = file_digests(layout.published)
    log_v1 = publication_log(layout.published_db)
    assert [(r["version"], r["scoring_date"], r["run_id"]) for r in log_v1] == [
        (1, SCORING_DATE, good.result.run_id)
    ]
    parquet_v1 = {f"parquet/v000001/{t}.parquet" for t in [*PUBLISHED_TABLES, "publication_log"]}
    assert parquet_v1 <= set(published_files)

    # A late export whose dates are day-first: 360 of its 400 lines cannot be parsed.
    export = layout.landing_for("transactions") / "transactions_late_export.csv"
    customers = crm_ids(layout, 40)
    totals_v1 = order_totals(layout, customers)
    assert len(totals_v1) == 40
    write_export(export, customers, rows=400, malformed=360)
    failed = run_daily(SCORING_DATE, good.instance)

    assert not failed.success
    share = 360 / (good.report.rows["transactions"] + 400)
    assert share > PARAMETERS["max_quarantine_share"]
    text = failure_text(failed)
    assert f"check gx_load_quality on {LOAD_QUALITY_ASSET} failed" in text, text
    # The message names the expectation, the limit, and the failing row with its source,
    # observed share and the reason behind it.
    row_text = (
        r"failing rows e\.g\. \(source=transactions, "
        r"rows_read=(\d+), rows_accounted=(\d+), quarantine_share=([0-9.]+), "
        r"worst_file_quarantine_share=0\.9, "
        r"worst_file_path=landing/transactions/transactions_late_export\.csv, "
        r"top_reasons=unparsable order_ts '20/10/2026 10:00:00' \(360\)\)"
    )
    failing = re.search(
        r"critical: expect_column_values_to_be_between on quarantine_share: "
        r"expected 0(?:\.0)? to ([0-9.]+), " + row_text,
        text,
    )
    assert failing, text
    limit, rows_read, accounted, observed = failing.groups()
    assert float(limit) == PARAMETERS["max_quarantine_share"]
    assert int(rows_read) == int(accounted) == good.report.rows["transactions"] + 400
    assert float(observed) == pytest.approx(share, abs=5e-5)  # as printed
    # The file itself is 90 % rejected: above the limit for one file as well.
    worst = re.search(
        r"critical: expect_column_values_to_be_between on worst_file_quarantine_share: "
        r"expected 0(?:\.0)? to ([0-9.]+), " + row_text,
        text,
    )
    assert worst and float(worst.group(1)) == PARAMETERS["max_file_quarantine_share"], text
    (evaluation,) = [
        e.event_specific_data
        for e in failed.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "gx_load_quality"
    ]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    (result,) = [
        r
        for r in evaluation.metadata["results"].value
        if r["expectation"] == "expect_column_values_to_be_between"
        and r["column"] == "quarantine_share"
    ]
    (row,) = result["failing_rows"]
    assert row["source"] == "transactions"
    assert row["quarantine_share"] == pytest.approx(share, rel=1e-12)
    # The rows are really in quarantine, with the reason a user can act on.
    assert warehouse_rows(
        layout,
        "select count(*), min(reason), max(reason) from raw.quarantine "
        "where file_path = 'landing/transactions/transactions_late_export.csv'",
    ) == [
        (
            360,
            "unparsable order_ts '20/10/2026 10:00:00'",
            "unparsable order_ts '20/10/2026 10:00:00'",
        )
    ]
    # Publication did not run: only the warehouse (which BI never reads) has the new rows.
    assert "published/segments" not in materialized(failed)
    assert "published__segments" not in {e.step_key for e in failed.get_step_success_events()}
    # BI still has version 1, byte for byte, Parquet included, and no temporary file is left.
    assert layout.published_db.read_bytes() == published_bytes
    assert file_digests(layout.published) == published_files
    assert publication_log(layout.published_db) == log_v1

    # The export is corrected (same orders, ISO dates): the rerun publishes version 2.
    write_export(export, customers, rows=400, malformed=0)
    fixed = run_daily(SCORING_DATE, good.instance)

    assert fixed.success, failure_text(fixed)
    log = publication_log(layout.published_db)
    assert log[:1] == log_v1
    assert len(log) == 2
    v2 = log[1]
    assert (v2["version"], v2["scoring_date"], v2["run_id"]) == (2, SCORING_DATE, fixed.run_id)
    assert v2["current_tables_kept"] is False
    assert v2["checks_warned"] == ""
    assert set(v2["checks_passed"].split(", ")) == {
        f"{key.asset_key.to_user_string()}:{key.name}" for key in PUBLICATION_CHECKS
    }
    for table in PUBLISHED_TABLES:
        assert v2[f"{table}_rows"] == published_count(layout, table), table
    # The 400 orders (19.90 each) belong to 40 existing customers: 10 more orders each.
    assert v2["customer_scores_rows"] == log_v1[0]["customer_scores_rows"]
    totals_v2 = order_totals(layout, customers)
    assert {
        c: (totals_v2[c][0] - orders, totals_v2[c][1] - revenue)
        for c, (orders, revenue) in totals_v1.items()
    } == {c: (10, Decimal("199.00")) for c in customers}
    assert warehouse_rows(
        layout,
        "select count(*) from raw.transactions "
        "where _source_file = 'landing/transactions/transactions_late_export.csv'",
    ) == [(400,)]
    assert warehouse_rows(layout, "select count(*) from raw.quarantine") == [(0,)]
    assert layout.published_db.read_bytes() != published_bytes
    changed = file_digests(layout.published)
    # Version 1's files are kept beside version 2's, and no temporary one is left behind.
    parquet_v2 = {name.replace("v000001", "v000002") for name in parquet_v1}
    assert set(changed) == set(published_files) | parquet_v2
    assert {name: changed[name] for name in parquet_v1} == {
        name: published_files[name] for name in parquet_v1
    }
    assert layout.published_parquet_current.resolve().name == "v000002"
    assert (
        changed["parquet/v000002/publication_log.parquet"]
        != published_files["parquet/v000001/publication_log.parquet"]
    )


# -- 2. publication alone ------------------------------------------------------------------
def test_publishing_alone_is_refused_because_the_checks_did_not_run(demo_run: PipelineRun) -> None:
    layout = demo_run.layout
    before = file_digests(layout.published)
    log = publication_log(layout.published_db)

    result = dg.materialize(
        [published_segments],
        partition_key=SCORING_DATE.isoformat(),
        resources=build_resources(ScoringSettings.from_environment(layout.root)),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )

    assert not result.success
    assert result.get_failed_step_keys() == {"published__segments"}
    text = failure_text(result)
    assert text.startswith("published__segments: Not published"), text
    assert "checks did not run" in text
    for key in PUBLICATION_CHECKS:
        assert f"{key.asset_key.to_user_string()}:{key.name}" in text
    assert "predictions/customer_value:fit_converged" in text
    assert materialized(result) == set()
    assert file_digests(layout.published) == before
    assert publication_log(layout.published_db) == log


# -- 3. BI readers in another process while the pipeline publishes -------------------------
def start_reader(layout: settings.DataDir, mode: str, folder: Path) -> tuple:
    stop, out = folder / f"stop-{mode}", folder / f"reads-{mode}.json"
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("bi_reader.py"))]
        + [str(layout.published_db), str(stop), str(out), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, stop, out


def start_parquet_reader(layout: settings.DataDir, folder: Path) -> tuple:
    stop, out = folder / "stop-parquet", folder / "reads-parquet.json"
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("parquet_reader.py"))]
        + [str(layout.published_parquet), str(stop), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, stop, out


def stop_reader(process: subprocess.Popen, stop: Path, out: Path) -> dict:
    stop.touch()
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    return json.loads(out.read_text())


@pytest.mark.slow
def test_bi_readers_in_another_process_never_see_a_lock_or_a_torn_version(
    tmp_path: Path,
) -> None:
    layout = settings.data_dir(tmp_path / "data")
    readers = {mode: start_reader(layout, mode, tmp_path) for mode in ("fresh", "pooled")}
    readers["parquet"] = start_parquet_reader(layout, tmp_path)
    scoring_dates = [SCORING_DATE, date(2026, 11, 2), date(2026, 11, 3)]
    try:
        first = make_demo_run(layout.root, customers=SMALL)
        assert first.result.success, failure_text(first.result)
        for scoring_date in scoring_dates[1:]:
            result = run_daily(scoring_date, first.instance)
            assert result.success, failure_text(result)
    finally:
        summaries = {mode: stop_reader(*reader) for mode, reader in readers.items()}

    log = publication_log(layout.published_db)
    assert [(r["version"], r["scoring_date"]) for r in log] == list(
        enumerate(scoring_dates, start=1)
    )
    # Each version has other row counts than the one before it, so a torn read would show.
    history = [r["customer_segment_history_rows"] for r in log]
    assert 0 < history[0] < history[1] < history[2]

    # A Parquet reader that resolves `current` once per read never mixes two versions.
    parquet = summaries["parquet"]
    assert parquet["errors"] == [] and parquet["mixed"] == [], parquet
    assert parquet["reads"] >= 50 and parquet["versions"][-1] == 3, parquet
    assert parquet["versions"] == sorted(parquet["versions"])

    fresh = summaries["fresh"]
    assert fresh["pool"] == "NullPool"
    assert fresh["errors"] == []
    assert fresh["slow_connects"] == 0, fresh["max_connect_seconds"]
    assert fresh["torn"] == []
    assert fresh["reads"] >= 50, fresh
    # A new connection per read follows every publication, in order, up to the last one.
    assert len(fresh["versions"]) >= 2, fresh
    assert fresh["versions"] == sorted(fresh["versions"])
    assert fresh["versions"][-1] == 3

    # A pooled connection (what create_engine gives by default) never errs nor tears either,
    # but it keeps the file it opened: it still reads the first version it saw.
    pooled = summaries["pooled"]
    assert pooled["pool"] == "QueuePool"
    assert pooled["errors"] == [] and pooled["torn"] == [] and pooled["slow_connects"] == 0
    assert pooled["reads"] >= 50, pooled
    assert len(pooled["versions"]) == 1, pooled


def test_parquet_copies_match_the_published_database(demo_run: PipelineRun) -> None:
    layout = demo_run.layout
    counts = {}
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        for table in [*PUBLISHED_TABLES, "publication_log"]:
            path = layout.published_parquet_current / f"{table}.parquet"
            in_db = con.execute(f"select count(*) from {table}").fetchone()[0]
            in_parquet = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
            assert in_parquet == in_db, table
            counts[table] = in_db
            difference = con.execute(
                f"select count(*) from (select * from {table} except all "
                f"select * from read_parquet('{path}'))"
            ).fetchone()[0]
            assert difference == 0, table
    assert counts["customer_scores"] > 0 and counts["publication_log"] >= 1


def test_a_new_rows_suite_starts_after_its_last_pass_on_an_earlier_or_same_date() -> None:
    """The load time a new_rows suite validates after: its latest passed result's, read
    from the instance; a failed or warned result after it does not move it; a pass for a
    later scoring date (then a backfill) or a full refresh means every row again."""
    from dagster_project.defs.quality import LOADED_THROUGH, validated_through

    key = dg.AssetCheckKey(dg.AssetKey(["staging", "stg_interactions"]), "gx_stg_interactions")

    def result(passed: bool, day: str, through: str) -> None:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=passed,
                metadata={LOADED_THROUGH: dg.MetadataValue.text(through)},
                partition=day,
            )
        )

    def through(day: str, run_config: dict | None = None) -> str | None:
        found = validated_through(instance, key, date.fromisoformat(day), run_config or {})
        return found.isoformat() if found else None

    with dg.DagsterInstance.ephemeral() as instance:
        # (Results outside a run: one per check and partition.)
        assert through("2026-11-02") is None  # never passed: every row
        result(True, "2026-11-02", "2026-11-02T06:00:00")
        assert through("2026-11-02") == "2026-11-02T06:00:00"
        result(False, "2026-11-03", "2026-11-03T06:00:00")  # its rows are seen again
        assert through("2026-11-03") == "2026-11-02T06:00:00"
        full = {"ops": {"scoring_models": {"config": {"full_refresh": True}}}}
        assert through("2026-11-03", full) is None
        result(True, "2026-11-04", "2026-11-04T06:00:00")
        assert through("2026-11-04") == "2026-11-04T06:00:00"
        assert through("2026-11-03") is None  # a backfill: every row
