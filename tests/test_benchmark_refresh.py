"""The full-refresh benchmark's own code on a minuscule size: the landing files it writes
are what the project's loader reads (every row loaded, none quarantined), its bare
baseline loads the same rows, the checks of a run are counted from what it recorded, and
the table of targets says pass and FAIL where it must. The pipeline run itself is the
CLI's, tested elsewhere; timings are never asserted."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest
from test_cli import run_cli

from benchmarks import refresh
from benchmarks._measure import Comparison, Measurement
from benchmarks._targets import Target, summary_rows
from dagster_project.lib.loader import load_source
from dagster_project.lib.sources import load_mapping
from dagster_project.settings import DEMO_SOURCES_FILE


def _data_lines(folder: Path) -> int:
    lines = 0
    for path in folder.glob("*.csv"):
        with path.open(newline="") as handle:
            lines += sum(1 for _ in csv.reader(handle)) - 1
    return lines


def test_landing_files_load_whole_and_the_bare_baseline_reads_the_same_rows(
    tmp_path: Path,
) -> None:
    files = refresh.write_landing(tmp_path, customers=100, lines=1200, interactions=1000)
    landing = tmp_path / "data" / "landing"
    sources = sorted(p.name for p in landing.iterdir())
    assert sources == sorted(
        ["campaign_contacts", "campaigns", "crm_customers", "crm_notes", "interactions"]
        + ["transactions"]
    )
    assert files == sum(len(list((landing / s).glob("*.csv"))) for s in sources)
    assert len(list((landing / "transactions").glob("*.csv"))) > 12  # one file per month

    mapping = load_mapping(DEMO_SOURCES_FILE)
    loaded = 0
    with duckdb.connect(str(tmp_path / "ours.duckdb")) as con:
        for source in sources:
            result = load_source(con, mapping[source], tmp_path / "data", source)
            lines = _data_lines(landing / source)
            assert result.total("rows_read") == result.total("rows_loaded") == lines > 0, source
            assert result.total("rows_quarantined") == 0, source
            loaded += lines
        # Facts end the evening before the first scoring date.
        last_order = con.execute("select max(order_ts) from raw.transactions").fetchone()[0]
    assert str(refresh.FULL_DATE) > str(last_order) >= "2026-10-01"

    # The 1 % files set aside for the refreshes: new keys, dated for the next day.
    with (tmp_path / "later" / "transactions" / "transactions_new.csv").open() as handle:
        new_lines = list(csv.DictReader(handle))
    assert new_lines and all(row["order_id"].endswith("-new") for row in new_lines)
    assert {row["order_ts"][:10] for row in new_lines} == {"2026-11-01"}
    assert (tmp_path / "later" / "interactions" / "interactions_new.csv").exists()

    bare = str(tmp_path / "bare.duckdb")
    assert refresh.bare_load_and_query(str(landing), bare) == loaded
    customers, frequency, _recency = refresh.rfm_totals(bare, "main.bench_hand_rfm")
    assert 0 < customers <= frequency


def _measured(seconds: float, peak_gib: float) -> Measurement:
    return Measurement("x", seconds, int(peak_gib * 1024**3), rows=1)


def test_one_table_of_targets_from_every_comparison_that_has_one() -> None:
    full = _measured(100, 5)
    comparisons = [
        Comparison("full refresh", full, _measured(40, 1), target=Target(2, None, 4 * 1024**3)),
        Comparison("no target", _measured(1, 1), _measured(1, 1)),
        Comparison("ingestion", _measured(3, 1), _measured(2, 1), target=Target()),
        Comparison("hourly", _measured(4, 1), full, target=Target(0.05, None)),
        Comparison("checks", Measurement("part", 20, 0, 1), full, target=Target(0.15, None)),
    ]
    rows = summary_rows(comparisons)
    assert [(r[0], r[4], r[5], r[6]) for r in rows] == [
        ("full refresh: time", "2.50x", "<= 2x", "FAIL"),
        ("full refresh: peak memory", "-", "<= 4.0 GiB", "FAIL"),
        ("ingestion: time", "1.50x", "<= 1.5x", "pass"),
        ("ingestion: peak memory", "1.00x", "<= 1.5x", "pass"),
        ("hourly: time", "0.04x", "<= 0.05x", "pass"),
        ("checks: time", "0.20x", "<= 0.15x", "FAIL"),
    ]
    assert rows[-1][2] == "-"  # a part of a run has no peak memory of its own


def test_the_checks_of_a_run_are_its_gx_steps_and_its_dbt_tests(tmp_path: Path) -> None:
    """What the benchmark counts as the checks of a run, read from the run a data
    directory's Dagster instance recorded (the CLI's, on 100 demo customers)."""
    done = run_cli(tmp_path, "--scoring-date", "2026-11-01", "--demo-customers", "100")
    assert done.returncode == 0, done.stderr
    text, check_seconds = refresh.last_run_steps(str(tmp_path))
    seconds = {
        name: float(value)
        for name, value in re.findall(r"(run|checks|dbt|dbt tests) ([0-9.]+) s", text)
    }
    assert seconds["checks"] > 0 and seconds["dbt tests"] > 0, text
    assert check_seconds == pytest.approx(seconds["checks"] + seconds["dbt tests"], abs=0.1)
    assert seconds["dbt tests"] < seconds["dbt"] and check_seconds < seconds["run"], text
