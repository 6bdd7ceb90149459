"""The dbt unit tests (each model's SQL on fixed input rows) run here, in `make test`, and
not in the pipeline's runs: the SQL they check only changes with the code. So does the
project's generic test `not_null_columns`, checked here on nulls put in on purpose.

They run against a copy of the demo run's warehouse, which holds every relation the
models read (dbt reads the columns of each input from there), as of the same date.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from conftest import SCORING_DATE, PipelineRun
from dagster_dbt import DbtCliInvocation

from dagster_project.defs.dbt_project import DBT_EXECUTABLE, ScoringDbtCli, dbt_project
from dagster_project.lib.dbt_environment import SCORING_DATE_VARIABLE, dbt_environment


def unit_test_results(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def warehouse_copy(demo_run: PipelineRun, tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run.layout.warehouse, warehouse)
    return warehouse


def dbt_test(warehouse: Path, select: str, target: Path) -> DbtCliInvocation:
    """`dbt test --select <select>` on `warehouse`, as of the demo run's date."""
    dbt = ScoringDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    with dbt_environment(**{SCORING_DATE_VARIABLE: SCORING_DATE.isoformat()}):
        return dbt.cli(
            [
                "test",
                "--select",
                select,
                "--vars",
                json.dumps({"warehouse_path": str(warehouse), "spark_dir": str(target)}),
            ],
            target_path=target,
            raise_on_error=False,
        ).wait()


def test_every_dbt_unit_test_passes(demo_run: PipelineRun, tmp_path: Path) -> None:
    invocation = dbt_test(warehouse_copy(demo_run, tmp_path), "test_type:unit", tmp_path / "t")
    results = unit_test_results(tmp_path / "t" / "run_results.json")
    manifest = json.loads(dbt_project.manifest_path.read_text())
    declared = set(manifest["unit_tests"])
    assert len(declared) >= 30
    assert set(results) == declared
    failed = {name: status for name, status in results.items() if status != "pass"}
    assert not failed and invocation.is_successful(), failed


def data_test_outcome(warehouse: Path, test_name: str, target: Path) -> tuple[str, int]:
    """One dbt data test on `warehouse`: its status and its number of failing rows."""
    dbt_test(warehouse, test_name, target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].startswith("test.")]
    return result["status"], result["failures"]


def test_not_null_columns_fails_on_each_row_with_a_null_in_a_listed_column(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """customer_rfm's required columns: passes on the demo data, then counts the rows where
    any listed column is null (two rows, nulls in two different columns)."""
    warehouse = warehouse_copy(demo_run, tmp_path)
    assert data_test_outcome(warehouse, "not_null_customer_rfm", tmp_path / "before") == ("pass", 0)
    with duckdb.connect(str(warehouse)) as con:
        first, second = (
            row[0]
            for row in con.execute(
                "select customer_id from marts.customer_rfm order by customer_id limit 2"
            ).fetchall()
        )
        con.execute("update marts.customer_rfm set rfm_cell = null where customer_id = ?", [first])
        con.execute("update marts.customer_rfm set m_score = null where customer_id = ?", [second])
    assert data_test_outcome(warehouse, "not_null_customer_rfm", tmp_path / "after") == ("fail", 2)


def test_value_ranges_fails_on_each_row_with_a_value_outside_its_columns_range(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """behaviour_points' ranges (cap >= 0, half_life_days > 0): passes on the seed, then
    counts the rows out of range, a strict bound included; a null passes."""
    warehouse = warehouse_copy(demo_run, tmp_path)
    name = "value_ranges_behaviour_points"
    assert data_test_outcome(warehouse, name, tmp_path / "before") == ("pass", 0)
    with duckdb.connect(str(warehouse)) as con:
        first, second, third = (
            row[0]
            for row in con.execute(
                "select event_type from scoring_rules.behaviour_points order by 1 limit 3"
            ).fetchall()
        )
        update = "update scoring_rules.behaviour_points set {} where event_type = ?"
        con.execute(update.format("cap = -1"), [first])
        con.execute(update.format("half_life_days = 0"), [second])  # the bound is strict
        con.execute(update.format("half_life_days = null"), [third])
    assert data_test_outcome(warehouse, name, tmp_path / "after") == ("fail", 2)


def test_the_pipeline_runs_no_unit_test(demo_run: PipelineRun) -> None:
    """The demo run's last dbt invocation built models and ran data tests, no unit test."""
    run_results = demo_run.layout.root / "logs" / "dbt" / "run_results.json"
    kinds = {r["unique_id"].split(".")[0] for r in json.loads(run_results.read_text())["results"]}
    assert {"model", "test"} <= kinds
    assert not unit_test_results(run_results)
