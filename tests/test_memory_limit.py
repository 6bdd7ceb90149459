"""One memory setting for every DuckDB connection of the pipeline: the loads', the checks'
and fitted models' (the warehouse resource) and dbt's, each spilling beyond it to the data
directory's tmp/duckdb/. Real DuckDB, real dbt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import use_data_dir

from dagster_project.defs.resources import ScoringSettings, Warehouse, dbt_cli
from dagster_project.lib.memory import spill_directory

pytestmark = pytest.mark.usefixtures("restored_environment")

SETTINGS_SQL = (
    "select current_setting('memory_limit') as memory_limit, "
    "current_setting('temp_directory') as temp_directory"
)


def test_dbt_and_the_warehouse_resource_work_under_the_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = use_data_dir(tmp_path / "data")
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "300MiB")
    scoring = ScoringSettings.from_environment()
    spill = str(spill_directory(layout.root))

    with Warehouse(settings=scoring).connect() as con:
        assert con.execute(SETTINGS_SQL).fetchone() == ("300.0 MiB", spill)

    invocation = dbt_cli(scoring).cli(
        ["show", "--inline", SETTINGS_SQL, "--output", "json"]
        + ["--vars", json.dumps(scoring.dbt_vars())],
        target_path=tmp_path / "dbt",
    )
    shown = [
        json.loads(event.raw_event["data"]["preview"])
        for event in invocation.stream_raw_events()
        if event.raw_event["info"]["name"] == "ShowNode"
    ]
    assert shown == [[{"memory_limit": "300.0 MiB", "temp_directory": spill}]]
