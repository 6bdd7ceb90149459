"""The dbt unit tests (each model's SQL on fixed input rows) run here, in `make test`, and
not in the pipeline's runs: the SQL they check only changes with the code.

They run against a copy of the demo run's warehouse, which holds every relation the
models read (dbt reads the columns of each input from there), as of the same date.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SCORING_DATE, PipelineRun
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt_project import DBT_EXECUTABLE, dbt_project
from dagster_project.lib.dbt_environment import SCORING_DATE_VARIABLE, dbt_environment


def unit_test_results(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def test_every_dbt_unit_test_passes(demo_run: PipelineRun, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run.layout.warehouse, warehouse)
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    with dbt_environment(**{SCORING_DATE_VARIABLE: SCORING_DATE.isoformat()}):
        invocation = dbt.cli(
            [
                "test",
                "--select",
                "test_type:unit",
                "--vars",
                json.dumps({"warehouse_path": str(warehouse), "spark_dir": str(tmp_path)}),
            ],
            target_path=tmp_path / "target",
            raise_on_error=False,
        ).wait()
    results = unit_test_results(tmp_path / "target" / "run_results.json")
    manifest = json.loads(dbt_project.manifest_path.read_text())
    declared = set(manifest["unit_tests"])
    assert len(declared) >= 30
    assert set(results) == declared
    failed = {name: status for name, status in results.items() if status != "pass"}
    assert not failed and invocation.is_successful(), failed


def test_the_pipeline_runs_no_unit_test(demo_run: PipelineRun) -> None:
    """The demo run's last dbt invocation built models and ran data tests, no unit test."""
    run_results = demo_run.layout.root / "logs" / "dbt" / "run_results.json"
    kinds = {r["unique_id"].split(".")[0] for r in json.loads(run_results.read_text())["results"]}
    assert {"model", "test"} <= kinds
    assert not unit_test_results(run_results)
