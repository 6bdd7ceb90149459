"""The one DbtProject of the code location (kept apart so it can be prepared before the
dbt assets read its manifest), and the dbt executable every invocation runs."""

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from .. import settings

# This interpreter's dbt, named explicitly: dagster-dbt would otherwise look for `dbt` on
# PATH, which lacks it when a virtualenv's python runs without the virtualenv activated.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# dbt of the Spark target's own virtualenv (`make spark-venv`): dbt-spark and pyspark.
SPARK_DBT_EXECUTABLE = settings.PROJECT_ROOT / "build" / "spark-venv" / "bin" / "dbt"

dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
)
# Under `dagster dev` only (started by `python -m dagster_project ui` with this
# interpreter's scripts first on its PATH): re-parse so model edits show up.
dbt_project.prepare_if_dev()


def prepare_manifest() -> Path:
    """`dbt parse` into the project's target folder: the manifest the dbt assets are built
    from. Needed once before the definitions load (the CLI and the tests call it)."""
    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path
    ).wait()
    return dbt_project.manifest_path
