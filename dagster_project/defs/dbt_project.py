"""The one DbtProject of the code location (kept apart so it can be prepared before the
dbt assets read its manifest)."""

from dagster_dbt import DbtProject

from .. import settings

# dagster-dbt runs `dbt` from PATH: make it this interpreter's, also when the code location
# is loaded by a `dagster` command from a virtualenv that is not activated.
settings.use_installed_tools()

dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
)
dbt_project.prepare_if_dev()
