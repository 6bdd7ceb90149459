"""The code location's resources: its one configuration, the warehouse file and the dbt CLI.

`ScoringSettings` is built from the environment once, in `definitions.py`; assets, checks
and sensors receive it (or the `Warehouse` built on it) as a resource, and dbt gets the
warehouse path and target through its invocation, so no module writes the process
environment. Tests and `replay` pass their own settings instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas
import yaml

from ..lib import spark_exchange, warehouse
from ..lib.landing_files import sources_listing
from ..lib.memory import bound_memory, memory_limit, spill_directory
from ..lib.personal_data import publish_personal_data
from ..lib.sources import SourceConfig, load_mapping
from ..settings import (
    DBT_PROJECT_DIR,
    DEFAULT_GX_BATCH_ROWS,
    DataDir,
    data_dir,
    dbt_target,
    failure_webhook_url,
    gx_batch_rows,
    sources_file,
)
from .dbt_project import DBT_EXECUTABLE, SPARK_DBT_EXECUTABLE, ScoringDbtCli, dbt_project


class ScoringSettings(dg.ConfigurableResource):
    """Where the data lives, which files feed which source, and which dbt target builds.

    Environment variables: `SCORING_DATA_DIR` (default `./data`), `SCORING_SOURCES` (default
    the demo mapping), `SCORING_DBT_TARGET` (default `duckdb`, an output of dbt/profiles.yml),
    `SCORING_FAILURE_WEBHOOK_URL` (default none), `SCORING_GX_BATCH_ROWS` (default 500,000:
    the most rows a Great Expectations batch holds in Python).
    """

    data_dir: str
    sources_file: str
    dbt_target: str = "duckdb"
    failure_webhook_url: str = ""
    gx_batch_rows: int = DEFAULT_GX_BATCH_ROWS

    @classmethod
    def from_environment(cls, data_root: str | Path | None = None) -> ScoringSettings:
        """The settings the environment gives (`data_root` replaces `SCORING_DATA_DIR`)."""
        target = dbt_target()
        targets = dbt_targets()
        if target not in targets:
            raise ValueError(
                f"SCORING_DBT_TARGET={target!r} is not a target of {DBT_PROJECT_DIR}/"
                f"profiles.yml: use one of {', '.join(targets)}."
            )
        return cls(
            data_dir=str(data_dir(data_root).root),
            sources_file=str(sources_file()),
            dbt_target=target,
            failure_webhook_url=failure_webhook_url(),
            gx_batch_rows=gx_batch_rows(),
        )

    @property
    def layout(self) -> DataDir:
        return data_dir(self.data_dir)

    def mapping(self) -> dict[str, SourceConfig]:
        """The source mapping, validated (raises `MappingError` with what to fix)."""
        return load_mapping(Path(self.sources_file))

    def landing_listings(self) -> dict[str, str | None]:
        """`sources_listing` of each declared source's files (None for a source without
        any): what the landing sensor and the hourly schedule compare from tick to tick."""
        return {
            name: sources_listing([config], self.layout.root)
            for name, config in self.mapping().items()
        }

    def publishes_personal_data(self) -> bool:
        """Whether e-mail and names are published (see lib/personal_data.py)."""
        return publish_personal_data(Path(self.sources_file))

    @property
    def spark_dir(self) -> Path:
        """Everything the `spark` target reads and writes (README, "On Spark")."""
        return spark_exchange.spark_dir(self.layout.root)

    def dbt_vars(self) -> dict[str, str]:
        """What dbt/profiles.yml needs from us (profiles take `--vars`): the warehouse file,
        DuckDB's memory limit and spill folder (those of every other connection), and the
        folder of the Spark target's sources, tables and metastore."""
        return {
            "warehouse_path": str(self.layout.warehouse),
            "memory_limit": memory_limit(),
            "temp_directory": str(spill_directory(self.layout.root)),
            "spark_dir": str(self.spark_dir),
        }

    def dbt_executable(self) -> str:
        """The dbt command of the target: this interpreter's, or the Spark virtualenv's."""
        if self.dbt_target != "spark":
            return DBT_EXECUTABLE
        if not SPARK_DBT_EXECUTABLE.exists():
            raise ValueError(
                f"SCORING_DBT_TARGET=spark needs {SPARK_DBT_EXECUTABLE}: run `make spark-venv`"
            )
        return str(SPARK_DBT_EXECUTABLE)


def dbt_targets() -> list[str]:
    """The outputs of the project's dbt profile (the values `dbt_target` may take)."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    return [name for profile in profiles.values() for name in profile.get("outputs", {})]


class Warehouse(dg.ConfigurableResource):
    """The data directory's DuckDB warehouse.

    Every connection is closed on every path, so a failed step never keeps the file lock.
    """

    settings: ScoringSettings

    @property
    def layout(self) -> DataDir:
        return self.settings.layout

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection under the memory limit, spilling to the data directory's tmp/duckdb/."""
        with warehouse.connect(self.layout.warehouse, read_only=read_only) as con:
            bound_memory(con, self.layout.root)
            yield con

    # The fitted models' side of the warehouse: they read a dbt model whole and write the
    # table dbt reads back as a source (`schema.table` from the asset key of each).
    def read_table(self, key: dg.AssetKey, order_by: str | None = None) -> pandas.DataFrame:
        """The whole table of `key` as a DataFrame, in `order_by` order if given."""
        order = f" order by {warehouse.quote_ident(order_by)}" if order_by else ""
        with self.connect(read_only=True) as con:
            return con.execute(f"select * from {_table_of(key)}{order}").df()

    def replace_table(self, key: dg.AssetKey, frame: pandas.DataFrame) -> None:
        """`frame` as the table of `key`, replacing it in one statement (its schema made
        if missing)."""
        with self.connect() as con:
            con.execute(f"create schema if not exists {warehouse.quote_ident(key.path[0])}")
            con.register("frame", frame)
            con.execute(f"create or replace table {_table_of(key)} as select * from frame")


def _table_of(key: dg.AssetKey) -> str:
    """`schema.table` of an asset key of two parts, quoted."""
    schema, table = key.path
    return f"{warehouse.quote_ident(schema)}.{warehouse.quote_ident(table)}"


def dbt_cli(scoring: ScoringSettings) -> ScoringDbtCli:
    """The dbt CLI on the one DbtProject, with the configured target."""
    return ScoringDbtCli(
        project_dir=dbt_project,
        target=scoring.dbt_target,
        dbt_executable=scoring.dbt_executable(),
    )


def build_resources(scoring: ScoringSettings) -> dict[str, object]:
    """The resources of the code location, all derived from one `ScoringSettings`."""
    return {
        "scoring_settings": scoring,
        "warehouse": Warehouse(settings=scoring),
        "dbt": dbt_cli(scoring),
    }
