"""One configuration, read from the environment once: no module writes the process
environment, and everything the code location needs comes from its `ScoringSettings`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dagster_project import settings
from dagster_project.defs.resources import ScoringSettings, Warehouse, build_resources

PACKAGE = settings.PROJECT_ROOT / "dagster_project"
ENVIRON_WRITES = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def environment_writes(source: str) -> list[int]:
    """Line numbers where `source` changes os.environ (or calls os.putenv/os.unsetenv)."""

    def is_environ(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "environ"
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (isinstance(node, ast.Name) and node.id == "environ")

    lines = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Delete) else [node.target]
        if any(isinstance(t, ast.Subscript) and is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func
            if (is_environ(method.value) and method.attr in ENVIRON_WRITES) or (
                isinstance(method.value, ast.Name)
                and method.value.id == "os"
                and method.attr in ("putenv", "unsetenv")
            ):
                lines.append(node.lineno)
    return lines


def test_the_detector_sees_every_kind_of_write() -> None:
    source = (
        "import os\nfrom os import environ\n"
        "os.environ['A'] = '1'\n"
        "os.environ['PATH'] += ':x'\n"
        "del os.environ['A']\n"
        "os.environ.setdefault('B', '2')\n"
        "os.environ.update(C='3')\n"
        "environ.pop('D', None)\n"
        "os.putenv('E', '5')\n"
        "x = os.environ.get('F')\n"  # reading is fine
        "y = {**os.environ, 'G': '7'}\n"  # so is a copy for a child process
    )
    assert environment_writes(source) == [3, 4, 5, 6, 7, 8, 9]


# The one exception, and why: dagster-dbt 0.29's `DbtCliResource.cli()` starts dbt with a
# copy of os.environ and takes no environment of its own, and the scoring date must reach dbt
# outside `--vars` (a changed var forces a full re-parse). The module sets it around the dbt
# call only and restores what was there.
ENVIRONMENT_FOR_DBT = "dagster_project/lib/dbt_environment.py"


def test_no_module_writes_the_process_environment() -> None:
    offenders = {
        str(path.relative_to(settings.PROJECT_ROOT)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := environment_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders.pop(ENVIRONMENT_FOR_DBT, None), "the dbt environment module moved?"
    assert offenders == {}, f"os.environ written at (file: lines) {offenders}"


def test_settings_come_from_the_environment_and_feed_every_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = tmp_path / "sources.yml"
    mapping.write_text(
        "publish_personal_data: true\n"
        "sources:\n  transactions:\n    inputs:\n      - path: landing/t/*.csv\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SCORING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SCORING_SOURCES", str(mapping))
    monkeypatch.delenv("SCORING_DBT_TARGET", raising=False)
    monkeypatch.delenv("SCORING_PUBLISH_PERSONAL_DATA", raising=False)
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "2GB")

    scoring = ScoringSettings.from_environment()
    resources = build_resources(scoring)

    assert scoring.layout.warehouse == tmp_path / "data" / "warehouse.duckdb"
    assert list(scoring.mapping()) == ["transactions"]
    assert scoring.mapping()["transactions"].inputs[0].path == "landing/t/*.csv"
    assert scoring.publishes_personal_data()  # the README's top-level key is accepted
    assert scoring.dbt_target == "duckdb"
    assert scoring.dbt_vars() == {
        "warehouse_path": str(tmp_path / "data" / "warehouse.duckdb"),
        "memory_limit": "2GB",
        "temp_directory": str(tmp_path / "data" / "tmp" / "duckdb"),
        "spark_dir": str(tmp_path / "data" / "spark"),
    }
    assert resources["scoring_settings"] is scoring
    warehouse = resources["warehouse"]
    assert isinstance(warehouse, Warehouse) and warehouse.layout == scoring.layout
    dbt = resources["dbt"]
    assert dbt.target == "duckdb" and Path(dbt.dbt_executable).name == "dbt"
    # Another data directory (replay, tests) keeps the rest of the configuration.
    other = ScoringSettings.from_environment(tmp_path / "scratch")
    assert other.layout.root == tmp_path / "scratch" and other.sources_file == str(mapping)


def test_an_unknown_dbt_target_is_refused_with_the_targets_that_exist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCORING_DBT_TARGET", "snowflake")
    with pytest.raises(ValueError, match=r"SCORING_DBT_TARGET='snowflake' .* use one of duckdb"):
        ScoringSettings.from_environment()
