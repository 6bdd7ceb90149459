"""What BI tools can open: the published DuckDB file read by an old DuckDB (Python and CLI) in
an environment of its own, and Parquet versions that readers following `current` never mix.

The old DuckDB lives in build/duckdb-old-venv, built once by `make test` (target
`old-duckdb`), so these tests need no network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SCORING_DATE, PipelineRun
from test_pipeline import READER as SQLALCHEMY_READER
from test_quality import start_parquet_reader, stop_reader

from dagster_project import settings
from dagster_project.lib import publisher

OLD_DUCKDB = settings.PROJECT_ROOT / "build" / "duckdb-old-venv"
OLD_PYTHON = OLD_DUCKDB / "bin" / "python"
OLD_CLI = OLD_DUCKDB / "bin" / "duckdb"
DUMP = Path(__file__).with_name("duckdb_table_dump.py")
TABLES = {*publisher.PUBLISHED_TABLES, "publication_log"}

pytestmark = pytest.mark.usefixtures("restored_environment")


def needs_old_duckdb() -> None:
    if not (OLD_PYTHON.exists() and OLD_CLI.exists()):
        pytest.skip(
            f"no old DuckDB in {OLD_DUCKDB}: `make test` builds it (or `make old-duckdb`, "
            "which needs the package index once)"
        )


def dump(python: Path | str, database: Path, out: Path) -> dict:
    """Every table of `database`, read by the DuckDB of interpreter `python`."""
    run = subprocess.run(
        [str(python), str(DUMP), str(database), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def storage_tag(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select tags['storage_version'] from duckdb_databases()"
            " where database_name = current_database()"
        ).fetchone()[0]


def test_an_old_duckdb_reads_every_published_table_as_today(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    needs_old_duckdb()
    database = demo_run.layout.published_db
    assert storage_tag(database) == "v1.0.0+"
    old = dump(OLD_PYTHON, database, tmp_path / "old.json")
    current = dump(sys.executable, database, tmp_path / "current.json")
    assert old["duckdb_version"] == "1.1.3"
    assert current["duckdb_version"] == duckdb.__version__ != old["duckdb_version"]
    assert set(old["tables"]) == set(current["tables"]) == TABLES
    for table in sorted(TABLES):
        assert old["tables"][table] == current["tables"][table], table
    assert len(old["tables"]["customer_scores"]["rows"]) > 100


def test_the_duckdb_cli_of_an_older_release_opens_the_published_file(
    demo_run: PipelineRun,
) -> None:
    needs_old_duckdb()
    query = "select segment, customers from segment_summary order by display_order"
    cli = subprocess.run(
        [str(OLD_CLI), "-readonly", str(demo_run.layout.published_db), "-csv", "-c", query],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    version = subprocess.run([str(OLD_CLI), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("v1.4.")
    with duckdb.connect(str(demo_run.layout.published_db), read_only=True) as con:
        expected = con.execute(query).fetchall()
    lines = cli.stdout.strip().splitlines()
    assert lines[0] == "segment,customers"
    assert [tuple(line.split(",")) for line in lines[1:]] == [(s, str(n)) for s, n in expected]


def test_sqlalchemy_with_duckdb_engine_on_an_old_duckdb_reads_the_published_file(
    demo_run: PipelineRun,
) -> None:
    """What Superset does: SQLAlchemy + duckdb_engine, here over DuckDB 1.1.3, read-only."""
    needs_old_duckdb()
    out = subprocess.run(
        [str(OLD_PYTHON), "-c", SQLALCHEMY_READER, str(demo_run.layout.published_db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout)
    with duckdb.connect(str(demo_run.layout.published_db), read_only=True) as con:
        segments = dict(con.execute("select segment, customers from segment_summary").fetchall())
        customers = con.execute("select count(*) from customer_scores").fetchone()[0]
    assert set(seen["tables"]) == TABLES
    assert seen["segments"] == segments and seen["scores"] == customers > 100


def copied_layout(run: PipelineRun, folder: Path) -> settings.DataDir:
    """A data directory of its own holding a copy of the demo warehouse (nothing published)."""
    layout = replace(run.layout, root=folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run.layout.warehouse, layout.warehouse)
    return layout


def test_the_storage_version_is_a_setting(
    demo_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = copied_layout(demo_run, tmp_path / "data")
    monkeypatch.setenv("SCORING_PUBLISH_STORAGE_VERSION", "v1.4.0")
    publisher.publish(layout, SCORING_DATE, "run-1", [], [])
    assert storage_tag(layout.published_db) == "v1.4.0+"
    monkeypatch.setenv("SCORING_PUBLISH_STORAGE_VERSION", "1.0")
    with pytest.raises(ValueError, match=r"SCORING_PUBLISH_STORAGE_VERSION='1.0' is not"):
        publisher.publish(layout, SCORING_DATE, "run-2", [], [])
    # The refused publication changed nothing.
    assert storage_tag(layout.published_db) == "v1.4.0+"
    assert layout.published_parquet_current.resolve().name == "v000001"


def test_parquet_readers_never_mix_versions_while_publications_follow_each_other(
    demo_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve publications in a row, each with fewer scores and history rows than the one
    before, while a reader in another process follows `current`; four versions are kept."""
    layout = copied_layout(demo_run, tmp_path / "data")
    monkeypatch.setenv("SCORING_PARQUET_VERSIONS_KEPT", "4")
    reader = start_parquet_reader(layout, tmp_path)
    publications = []
    try:
        for number in range(1, 13):
            with duckdb.connect(str(layout.warehouse)) as con:
                for table in ("customer_scores", "customer_segment_history"):
                    con.execute(
                        f"delete from marts.{table} where customer_id in (select customer_id"
                        f" from marts.{table} order by customer_id limit 3)"
                    )
            publications.append(
                publisher.publish(layout, date(2026, 11, 1), f"run-{number}", [], [])
            )
    finally:
        summary = stop_reader(*reader)

    assert [p.version for p in publications] == list(range(1, 13))
    scores = [p.row_counts["customer_scores"] for p in publications]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 12
    assert summary["errors"] == [] and summary["mixed"] == [], summary
    assert summary["reads"] >= 20, summary
    assert len(summary["versions"]) >= 2 and summary["versions"][-1] == 12, summary
    assert summary["versions"] == sorted(summary["versions"])
    # Only the last four versions are kept; `current` names the newest; nothing else is left.
    assert sorted(p.name for p in layout.published_parquet.iterdir()) == [
        "current",
        "v000009",
        "v000010",
        "v000011",
        "v000012",
    ]
    assert layout.published_parquet_current.resolve().name == "v000012"
    assert sorted(p.name for p in layout.published.iterdir()) == ["parquet", "segments.duckdb"]
    with duckdb.connect() as con:
        in_parquet = con.execute(
            f"select count(*) from '{layout.published_parquet_current}/customer_scores.parquet'"
        ).fetchone()[0]
    assert in_parquet == scores[-1]


def test_the_files_of_the_layout_before_version_folders_are_removed(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """Per-table files of the old layout would go stale: the first publication removes them."""
    layout = copied_layout(demo_run, tmp_path / "data")
    layout.published_parquet.mkdir(parents=True)
    stale = layout.published_parquet / "customer_scores.parquet"
    stale.write_bytes(b"PAR1")
    publisher.publish(layout, SCORING_DATE, "run-1", [], [])
    assert not stale.exists()
    assert sorted(p.name for p in layout.published_parquet.iterdir()) == ["current", "v000001"]
