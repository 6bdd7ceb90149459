"""The lock `make` installs from agrees with the ranges pyproject.toml promises users."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dagster_project.settings import PROJECT_ROOT


def locked_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        assert separator, f"requirements.lock: {line!r} is not pinned with =="
        assert canonicalize_name(name) not in versions, f"{name} is locked twice"
        versions[canonicalize_name(name)] = version
    return versions


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(text) for text in declared]


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    locked = locked_versions()
    problems = []
    for requirement in declared_requirements():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, "; ".join(problems) + ": run `make lock`"


def test_the_lock_keeps_the_integration_family_together() -> None:
    """dagster-dbt pins its dagster: a lock with another dagster would not install."""
    locked = locked_versions()
    assert locked["dagster-dbt"].startswith("0.29.")
    assert locked["dagster"].startswith("1.13.")
    assert locked["dagster-duckdb"] == locked["dagster-dbt"]
    assert locked["dbt-core"].startswith("1.11.")
