"""The one DbtProject of the code location (kept apart so it can be prepared before the
dbt assets read its manifest), and the dbt executable every invocation runs."""

import importlib.metadata
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging import version

from .. import settings

# This interpreter's dbt, named explicitly: dagster-dbt would otherwise look for `dbt` on
# PATH, which lacks it when a virtualenv's python runs without the virtualenv activated.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# dbt of the Spark target's own virtualenv (`make spark-venv`): dbt-spark and pyspark.
SPARK_DBT_EXECUTABLE = settings.PROJECT_ROOT / "build" / "spark-venv" / "bin" / "dbt"


class ScoringDbtCli(DbtCliResource):
    """The dbt CLI resource without two start-up costs of dagster-dbt's that buy nothing here.

    - dagster-dbt runs `dbt --version` once per run to learn which dbt it drives (dbt Core
      or Fusion): a start of dbt, some 1.6 s of every run. This interpreter's dbt is the
      installed dbt-core, whose version the package metadata gives; another executable
      (the Spark virtualenv's) is still asked.
    - Before every invocation it builds a dbt adapter in the Dagster process, loading
      every dbt macro before dbt itself starts (about 2 s for a process's first
      invocation, 0.5-0.9 s for each one after), for its `fetch_row_counts`,
      `fetch_column_metadata` and `fetch_table_metadata`. The project uses none of them
      (row counts come from dbt's own log: scoring.with_row_counts), so it builds none.
      On the Spark target that adapter could not even be built here (dbt-spark lives in
      its own virtualenv): dagster-dbt logged a warning for it.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == DBT_EXECUTABLE:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
)


def remove_project_copy(invocation: DbtCliInvocation) -> None:
    """Delete the copy of the dbt project an invocation ran in, if it ran in one.

    When a run selects more than 200 dbt resources (a subset launched from the UI, the hourly
    job when it rebuilds every score but keeps the seeds), dagster-dbt copies the project to
    a new temporary directory, writes a selectors.yml there naming them, runs dbt in it and
    leaves it behind: 5 MB in /tmp for every such run. Called once dbt has finished.
    """
    if invocation.project_dir.resolve() != Path(dbt_project.project_dir).resolve():
        shutil.rmtree(invocation.project_dir, ignore_errors=True)


# Metadata dagster-dbt gives each asset and check spec: the dbt node it stands for.
UNIQUE_ID = "dagster_dbt/unique_id"


def read_manifest() -> dict:
    """The manifest the dbt assets are defined from, as `dbt parse` wrote it (the steps
    that keep tables read the nodes' dependencies, tests and files there)."""
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


# Under `dagster dev` only (started by `python -m dagster_project ui` with this
# interpreter's scripts first on its PATH): re-parse so model edits show up.
dbt_project.prepare_if_dev()


def prepare_manifest() -> Path:
    """`dbt parse` into the project's target folder: the manifest the dbt assets are built
    from. Needed once before the definitions load (the CLI and the tests call it).

    Skipped when the manifest was parsed from the same project files, dbt and environment
    (their listing is kept beside it): a parse starts dbt and writes a 3 MB manifest,
    some 6 s of every CLI run, for a manifest that changes only when the project does."""
    inputs = manifest_inputs()
    stamp = dbt_project.manifest_path.with_name("manifest.inputs")
    if dbt_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == inputs:
        return dbt_project.manifest_path
    stamp.unlink(missing_ok=True)
    ScoringDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path
    ).wait()
    stamp.write_text(inputs)
    return dbt_project.manifest_path


# An environment variable read by the dbt project: env_var('SCORING_DATE', ...).
ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"](\w+)['"]""")
# Folders of the dbt project that dbt writes, not reads.
_DBT_OUTPUT_FOLDERS = {"target", "logs", "dbt_packages"}


def manifest_inputs() -> str:
    """What a parse reads: every project file (path, size, modification time), dbt's
    version, and the environment variables the project reads (its `env_var('...')` calls,
    and dbt's own DBT_*). Not the data directory: the manifest is the project's, shared
    by every data directory, and switching between them does not make dbt parse again."""
    root = settings.DBT_PROJECT_DIR
    files = sorted(
        (path.relative_to(root), path.stat())
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).parts[0] not in _DBT_OUTPUT_FOLDERS
    )
    read = {
        name
        for relative, _ in files
        if relative.suffix in (".sql", ".yml", ".yaml")
        for name in ENV_VAR_CALL.findall((root / relative).read_text(encoding="utf-8"))
    }
    lines = [f"dbt-core {importlib.metadata.version('dbt-core')}"]
    lines += [f"{name} {stat.st_size} {stat.st_mtime_ns}" for name, stat in files]
    lines += [
        f"{name}={value}"
        for name, value in sorted(os.environ.items())
        if name in read or name.startswith("DBT_")
    ]
    return "\n".join(lines) + "\n"
