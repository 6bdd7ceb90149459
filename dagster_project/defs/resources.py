"""Resources shared by the assets: the warehouse file and the dbt CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from .. import settings
from ..lib import warehouse


class Warehouse(dg.ConfigurableResource):
    """The data directory and its DuckDB warehouse.

    `data_dir` empty means `SCORING_DATA_DIR` (default `./data`), resolved at run time.
    Every connection is closed on every path, so a failed step never keeps the file lock.
    """

    data_dir: str = ""

    @property
    def layout(self) -> settings.DataDir:
        return settings.data_dir(self.data_dir or None)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.layout.warehouse, read_only=read_only) as con:
            yield con


def build_resources(data_dir: str = "") -> dict[str, object]:
    """The resources of the code location; tests pass their own data directory."""
    return {
        "warehouse": Warehouse(data_dir=data_dir),
        "dbt": DbtCliResource(
            project_dir=str(settings.DBT_PROJECT_DIR),
            profiles_dir=str(settings.DBT_PROJECT_DIR),
            dbt_executable=settings.dbt_executable(settings.dbt_target()),
        ),
    }
