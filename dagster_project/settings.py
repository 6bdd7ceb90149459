"""Where things live, and the settings the environment gives.

Every path a user or BI tool touches derives from one data directory. The code location
turns these readings into one `ScoringSettings` resource when its definitions load
(`defs/resources.py`); nothing here writes the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DEMO_SOURCES_FILE = Path(__file__).resolve().parent / "demo_sources.yml"

WRITER_POOL = "duckdb_writer"
FIRST_SCORING_DATE_VARIABLE = "SCORING_FIRST_DATE"
DEFAULT_FIRST_SCORING_DATE = date(1900, 1, 1)
TIMEZONE = "Europe/Paris"

_DAGSTER_YAML = """\
# Written by the scoring project: the instance config its runs rely on.
telemetry:
  enabled: false
concurrency:
  pools:
    # DuckDB allows one writer: every asset writing the warehouse is in the
    # `duckdb_writer` pool, so at most one of them runs at a time, across runs.
    default_limit: 1
# Runs whose process died (killed, crashed) are failed by the daemon and their pool
# slots freed, so one crash cannot hold the writer for every later run. The CLI does
# the same at start-up for runs whose process is gone (dagster_project/run_guard.py).
run_monitoring:
  enabled: true
  poll_interval_seconds: 60
  start_timeout_seconds: 600
  max_runtime_seconds: 21600
  free_slots_after_run_end_seconds: 60
"""


@dataclass(frozen=True)
class DataDir:
    """The layout of the data directory (`SCORING_DATA_DIR`, default `./data`)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def published_db(self) -> Path:
        return self.published / "segments.duckdb"

    @property
    def published_report(self) -> Path:
        return self.published / "report.html"

    @property
    def published_parquet(self) -> Path:
        return self.published / "parquet"

    @property
    def published_parquet_current(self) -> Path:
        """The pointer (a symlink) to the latest Parquet version folder."""
        return self.published_parquet / "current"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def landing_for(self, source: str) -> Path:
        return self.landing / source


def data_dir(root: str | os.PathLike | None = None) -> DataDir:
    """The data directory: `root` if given, else `SCORING_DATA_DIR`, else `./data`, absolute."""
    chosen = root or os.environ.get("SCORING_DATA_DIR") or "data"
    return DataDir(Path(chosen).expanduser().resolve())


def sources_file() -> Path:
    """The source mapping: `SCORING_SOURCES` if set, else the demo mapping shipped here."""
    chosen = os.environ.get("SCORING_SOURCES")
    return Path(chosen).expanduser().resolve() if chosen else DEMO_SOURCES_FILE


def dbt_target() -> str:
    """`SCORING_DBT_TARGET` if set, else `duckdb`: the dbt/profiles.yml output dbt builds with."""
    return os.environ.get("SCORING_DBT_TARGET") or "duckdb"


def failure_webhook_url() -> str:
    """`SCORING_FAILURE_WEBHOOK_URL`: where failed runs are also posted (empty: nowhere)."""
    return os.environ.get("SCORING_FAILURE_WEBHOOK_URL", "")


def default_scoring_date() -> date:
    """`SCORING_DATE` (YYYY-MM-DD) if set, else today."""
    chosen = os.environ.get("SCORING_DATE")
    if not chosen:
        return date.today()
    try:
        return date.fromisoformat(chosen)
    except ValueError:
        raise SystemExit(f"SCORING_DATE={chosen!r} is not a date: use YYYY-MM-DD.") from None


def first_scoring_date() -> date:
    """`SCORING_FIRST_DATE` (YYYY-MM-DD) if set, else 1900-01-01: the first daily partition.

    Read when the definitions load (partitions are built then), so a change needs a restart
    of the UI; `make run` reads it every time.
    """
    chosen = os.environ.get(FIRST_SCORING_DATE_VARIABLE)
    if not chosen:
        return DEFAULT_FIRST_SCORING_DATE
    try:
        return date.fromisoformat(chosen)
    except ValueError:
        raise SystemExit(
            f"{FIRST_SCORING_DATE_VARIABLE}={chosen!r} is not a date: use YYYY-MM-DD."
        ) from None


# The oldest DuckDB storage format that holds what we publish: DuckDB 1.0 and later (and
# the BI drivers built on them) read it, while 2.0's default format only 2.0 reads.
DEFAULT_PUBLISH_STORAGE_VERSION = "v1.0.0"
DEFAULT_PARQUET_VERSIONS_KEPT = 3


def publish_storage_version() -> str:
    """`SCORING_PUBLISH_STORAGE_VERSION`: the published file's DuckDB storage format."""
    chosen = os.environ.get("SCORING_PUBLISH_STORAGE_VERSION") or DEFAULT_PUBLISH_STORAGE_VERSION
    if chosen != "latest" and not re.fullmatch(r"v\d+\.\d+\.\d+", chosen):
        raise ValueError(
            f"SCORING_PUBLISH_STORAGE_VERSION={chosen!r} is not a DuckDB storage version: use "
            f"e.g. {DEFAULT_PUBLISH_STORAGE_VERSION} (readable by DuckDB 1.0 and later) or latest."
        )
    return chosen


def parquet_versions_kept() -> int:
    """`SCORING_PARQUET_VERSIONS_KEPT`: Parquet version folders kept, the current one included."""
    chosen = os.environ.get("SCORING_PARQUET_VERSIONS_KEPT") or str(DEFAULT_PARQUET_VERSIONS_KEPT)
    if not chosen.isdigit() or int(chosen) < 1:
        raise ValueError(
            f"SCORING_PARQUET_VERSIONS_KEPT={chosen!r} must be a whole number of 1 or more "
            "(how many published Parquet versions stay on disk, the current one included)."
        )
    return int(chosen)


GX_BATCH_ROWS_VARIABLE = "SCORING_GX_BATCH_ROWS"
DEFAULT_GX_BATCH_ROWS = 500_000


def gx_batch_rows() -> int:
    """`SCORING_GX_BATCH_ROWS`: the most rows a Great Expectations batch holds in Python."""
    chosen = os.environ.get(GX_BATCH_ROWS_VARIABLE) or str(DEFAULT_GX_BATCH_ROWS)
    if not chosen.isdigit() or int(chosen) < 1:
        raise ValueError(
            f"{GX_BATCH_ROWS_VARIABLE}={chosen!r} must be a whole number of 1 or more (the "
            f"most rows validated at once; default {DEFAULT_GX_BATCH_ROWS})."
        )
    return int(chosen)


def prepare_dagster_home(data: DataDir) -> Path:
    """Create `dagster_home/` with the project's instance config (`DagsterInstance.from_config`
    opens it; `ui` passes it to `dagster dev` as DAGSTER_HOME)."""
    home = data.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != _DAGSTER_YAML:
        config.write_text(_DAGSTER_YAML)
    return home
