"""The same dbt project on Spark (dbt-spark, local `session` method) gives the same tables.

Run by `make test-spark` (it builds build/spark-venv, ~500 MB, once); skipped otherwise.
The whole pipeline runs on DuckDB over small demo data, the loader's raw tables and the
fitted models' predictions are exported as Parquet, `dbt build --target spark` builds every
model, seed and test on Spark as of the same scoring date, and every table dbt built is
compared row by row with DuckDB's: numbers to 1e-9 relative, everything else exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SCORING_DATE, failure_text, make_demo_run
from engine_comparison import compare_builds

from dagster_project import settings
from dagster_project.defs.dbt_project import SPARK_DBT_EXECUTABLE
from dagster_project.lib import spark_exchange

SPARK_CUSTOMERS = 150

pytestmark = pytest.mark.skipif(
    not os.environ.get("SCORING_TEST_SPARK"),
    reason="the Spark target is tested by `make test-spark` (build/spark-venv and Java 17)",
)


def spark_dbt(command: str, dbt_vars: dict, logs: Path) -> subprocess.CompletedProcess:
    """dbt of the Spark virtualenv on this project, target spark, with `dbt_vars` (the Spark
    folder among them, as ScoringSettings passes it)."""
    environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [
            str(SPARK_DBT_EXECUTABLE),
            command,
            "--vars",
            json.dumps(dbt_vars),
            "--target",
            "spark",
            "--project-dir",
            str(settings.DBT_PROJECT_DIR),
            "--profiles-dir",
            str(settings.DBT_PROJECT_DIR),
            "--target-path",
            str(logs / "target"),
            "--log-path",
            str(logs),
        ],
        env=environment,
        capture_output=True,
        text=True,
        cwd=logs,
    )


def test_every_table_is_the_same_on_spark_and_duckdb(tmp_path: Path) -> None:
    started = time.monotonic()
    run = make_demo_run(tmp_path / "data", dirty_rate=0.01, customers=SPARK_CUSTOMERS)
    assert run.result.success, failure_text(run.result)
    pipeline_seconds = time.monotonic() - started

    spark_dir = spark_exchange.spark_dir(run.layout.root)
    exported = spark_exchange.export_sources(run.layout.warehouse, spark_dir / "sources")
    assert exported["raw.transactions"] > 1000
    assert exported["predictions.customer_value"] > 0

    logs = tmp_path / "spark-dbt"
    logs.mkdir()
    started = time.monotonic()
    build = spark_dbt(
        "build",
        {"scoring_date": SCORING_DATE.isoformat(), "spark_dir": str(spark_dir)},
        logs,
    )
    spark_seconds = time.monotonic() - started
    print(f"DuckDB pipeline {pipeline_seconds:.0f}s, Spark dbt build {spark_seconds:.0f}s")
    assert build.returncode == 0, build.stdout[-6000:]
    # Spark wrote nowhere but under the data directory.
    assert (spark_dir / "metastore" / "metastore_db").is_dir()
    assert not (logs / "metastore_db").exists() and not (logs / "spark-warehouse").exists()

    results = compare_builds(run.layout.warehouse, spark_dir / "warehouse")
    assert "marts.customer_scores" in results and len(results) > 40
    differing = {table: problems for table, problems in results.items() if problems}
    assert not differing, json.dumps(differing, indent=1, default=str)
