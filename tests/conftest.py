"""Shared fixtures: real demo data, a real warehouse, real dbt, real Dagster runs.

Everything is pinned (seed, customers, dates); nothing depends on today.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import settings
from dagster_project.demo import GenerationReport, generate

SEED = 20261101
CUSTOMERS = 600
SCORING_DATE = date(2026, 11, 1)
END_DATE = date(2026, 10, 31)


@dataclass
class PipelineRun:
    layout: settings.DataDir
    report: GenerationReport
    result: dg.ExecuteInProcessResult
    instance: dg.DagsterInstance


def pytest_sessionstart(session: pytest.Session) -> None:
    """The dbt manifest, built once before collection: test modules that import the dbt
    assets at module level need it (a fresh clone has none)."""
    from dagster_project.defs.dbt_project import prepare_manifest

    prepare_manifest()


@pytest.fixture(scope="session", autouse=True)
def prepared_project(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No telemetry, and a Dagster home of the session's own."""
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    os.environ.pop("SCORING_SOURCES", None)
    home = tmp_path_factory.mktemp("dagster_home")
    settings.prepare_dagster_home(settings.DataDir(home.parent / home.name))
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")


def use_data_dir(path: Path) -> settings.DataDir:
    """Point the environment at this data directory: `scoring_resources()` reads it, and so
    do subprocesses (the CLI, dbt run by hand)."""
    layout = settings.data_dir(path)
    os.environ["SCORING_DATA_DIR"] = str(layout.root)
    os.environ["SCORING_WAREHOUSE_PATH"] = str(layout.warehouse)
    return layout


def scoring_resources() -> dict[str, object]:
    """The code location's resources as the environment gives them now (the definitions read
    it once, when first imported; tests change data directories and mappings in between)."""
    from dagster_project.defs.resources import ScoringSettings, build_resources

    return build_resources(ScoringSettings.from_environment())


def code_location() -> dg.Definitions:
    """The code location with the resources the environment gives now: a job run with an
    asset selection refuses resources other than those its assets were defined with."""
    from dagster_project.definitions import defs

    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        executor=defs.executor,
        loggers=defs.loggers,
        resources=scoring_resources(),
    )


def run_daily(
    scoring_date: date, instance: dg.DagsterInstance | None = None, job: str = "daily_refresh"
) -> dg.ExecuteInProcessResult:
    """The daily job, in process, for one scoring date (the partition key)."""
    return (
        code_location()
        .resolve_job_def(job)
        .execute_in_process(
            partition_key=scoring_date.isoformat(),
            instance=instance or dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    )


def make_demo_run(
    path: Path,
    dirty_rate: float = 0.0,
    customers: int = CUSTOMERS,
    instance: dg.DagsterInstance | None = None,
) -> PipelineRun:
    layout = use_data_dir(path)
    report = generate(
        layout.landing, customers=customers, seed=SEED, end_date=END_DATE, dirty_rate=dirty_rate
    )
    instance = instance or dg.DagsterInstance.ephemeral()
    result = run_daily(SCORING_DATE, instance)
    return PipelineRun(layout, report, result, instance)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    """The whole pipeline once, on clean demo data, as of 2026-11-01."""
    run = make_demo_run(tmp_path_factory.mktemp("demo"))
    assert run.result.success, failure_text(run.result)
    yield run


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    from dagster_project.__main__ import failure_messages

    return "\n".join(failure_messages(result))


def publication_log(published_db: Path) -> list[dict]:
    """The rows of published/segments.duckdb's publication_log, oldest version first."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        cursor = con.execute("select * from publication_log order by version")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (temporary files included), by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests point SCORING_DATA_DIR (and friends) elsewhere; put them back afterwards."""
    for name in (
        "SCORING_DATA_DIR",
        "SCORING_WAREHOUSE_PATH",
        "SCORING_SOURCES",
        "SCORING_FAILURE_WEBHOOK_URL",
        "DAGSTER_HOME",
    ):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    """Asset keys materialised by a run, as strings."""
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
