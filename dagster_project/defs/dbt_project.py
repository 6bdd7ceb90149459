"""The one DbtProject of the code location (kept apart so it can be prepared before the
dbt assets read its manifest)."""

from dagster_dbt import DbtProject

from .. import settings

dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
)
dbt_project.prepare_if_dev()
