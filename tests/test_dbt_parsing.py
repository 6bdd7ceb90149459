"""A new scoring date costs dbt no full parse, and every run still scores as of its own date.

The date reaches dbt in its environment and is read only when dbt executes
(dbt/macros/scoring_date.sql): passed as `--vars` it made dbt re-parse the whole project
on every run (`Unable to do partial parsing because config vars ... changed`).
Real runs of daily_refresh (the assets R/F/M depend on) in one data directory, two dates.
"""

from __future__ import annotations

import json
import os
from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    code_location,
    failure_text,
    use_data_dir,
)
from rfm_reference import rfm

from dagster_project.demo import generate

CUSTOMERS = 200
EARLIER_DATE = date(2026, 9, 15)

pytestmark = pytest.mark.usefixtures("restored_environment")


def customer_rfm(warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.execute(
                "select customer_id, recency_days, frequency, cast(monetary as double) as "
                "monetary, r_score, f_score, m_score from marts.customer_rfm"
            )
            .df()
            .set_index("customer_id")
            .sort_index()
        )


def test_two_scoring_dates_score_right_and_the_second_parses_partially(tmp_path) -> None:
    layout = use_data_dir(tmp_path / "data")
    generate(layout.landing, customers=CUSTOMERS, seed=SEED, end_date=END_DATE)
    defs = code_location()
    job = defs.resolve_job_def("daily_refresh")
    selection = (
        dg.AssetSelection.assets(["marts", "customer_rfm"])
        .upstream()
        .resolve(defs.resolve_asset_graph())
    )
    instance = dg.DagsterInstance.ephemeral()
    dbt_log = layout.root / "logs" / "dbt" / "dbt.log"
    for scoring_date in (EARLIER_DATE, SCORING_DATE):
        result = job.execute_in_process(
            partition_key=scoring_date.isoformat(),
            instance=instance,
            asset_selection=sorted(selection),
            raise_on_error=False,
        )
        assert result.success, failure_text(result)
        actual = customer_rfm(layout.warehouse)
        expected = rfm(layout.landing, scoring_date)
        assert list(actual.index) == list(expected.index) and len(actual) > 50
        for column in ["recency_days", "frequency", "r_score", "f_score", "m_score"]:
            mismatched = (actual[column] != expected[column]).sum()
            assert mismatched == 0, f"{scoring_date} {column}: {mismatched} customers differ"
        pd.testing.assert_series_equal(actual.monetary, expected.monetary, atol=0.005, rtol=0)
        if scoring_date == EARLIER_DATE:
            first_run_log = dbt_log.read_text(encoding="utf-8")

    # dbt appends every invocation to dbt.log: only the first one in this data directory
    # parsed the whole project (its saved manifest, copied from the project's target by
    # dagster-dbt, was made for another warehouse); the run for the new date parsed partially.
    assert len(full_parses(first_run_log)) == 1
    second_run_log = dbt_log.read_text(encoding="utf-8")[len(first_run_log) :]
    assert "Partial parsing enabled" in second_run_log
    assert full_parses(second_run_log) == set()


def full_parses(log: str) -> set[str]:
    """The dbt invocations of a JSON log that parsed the whole project (dbt may give several
    reasons for one full parse, one line each)."""
    return {
        event["info"]["invocation_id"]
        for event in map(json.loads, filter(None, log.splitlines()))
        if event["info"]["msg"].startswith("Unable to do partial parsing")
    }


def test_the_manifest_is_parsed_again_only_when_what_dbt_reads_changed(monkeypatch) -> None:
    """The CLI prepares the manifest before every run: unchanged project, dbt and
    environment, no `dbt parse` (the manifest file is not written again), nor for another
    data directory; a changed variable the project reads or project file, a new parse."""
    from dagster_project.defs.dbt_project import dbt_project, prepare_manifest

    def written() -> int:
        return dbt_project.manifest_path.stat().st_mtime_ns

    prepare_manifest()
    before = written()
    prepare_manifest()
    assert written() == before
    monkeypatch.setenv("SCORING_DATA_DIR", str(dbt_project.project_dir / "another-data-dir"))
    prepare_manifest()
    assert written() == before
    monkeypatch.setenv("SCORING_SPARK_SHUFFLE_PARTITIONS", "3")  # read by profiles.yml
    prepare_manifest()
    assert written() > before
    after_env = written()
    model = dbt_project.project_dir / "models" / "marts" / "customer_rfm.sql"
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    prepare_manifest()
    assert written() > after_env


def test_the_dbt_resource_knows_its_dbt_version_without_starting_dbt() -> None:
    """dagster-dbt asks `dbt --version` once per run (a start of dbt) unless told: the
    hook it reads is still there, and the resource gives the installed dbt-core's."""
    import importlib.metadata

    from dagster_dbt import DbtCliResource
    from packaging import version

    from dagster_project.defs.dbt_project import DBT_EXECUTABLE, ScoringDbtCli, dbt_project

    assert "_cli_version" in vars(DbtCliResource)
    dbt = ScoringDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    assert dbt._cli_version == version.parse(importlib.metadata.version("dbt-core"))


def test_a_dbt_invocation_builds_no_adapter_in_the_dagster_process(tmp_path) -> None:
    """dagster-dbt builds a dbt adapter (every dbt macro loaded, up to 2 s) before each
    invocation unless its hook says not to: the hook is still the one `cli` calls, and a
    real invocation through the resource runs dbt with no adapter on the Dagster side."""
    from dagster_dbt import DbtCliResource

    from dagster_project.defs.dbt_project import DBT_EXECUTABLE, ScoringDbtCli, dbt_project

    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    dbt = ScoringDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    invocation = dbt.cli(["ls", "--select", "customer_rfm"], target_path=tmp_path / "target")
    listed = [line for line in invocation.stream_raw_events() if "customer_rfm" in str(line)]
    assert invocation.wait().is_successful()
    assert listed, "dbt ls ran and listed the model"
    assert invocation.adapter is None
