"""What passes between the DuckDB warehouse and the Spark target: sources as Parquet.

Loading (and model fitting) stays in DuckDB on one machine; on the `spark` dbt target the
sources are Parquet folders that dbt registers as external tables
(`dbt/macros/spark_sources.sql`): `<data dir>/spark/sources/<schema>/<table>/part-0.parquet`.
Each folder is replaced whole (written beside it, then renamed), so Spark never sees a
half-written table. Spark's own tables and metastore live beside them (`warehouse/`,
`metastore/`), so one folder holds everything the Spark target writes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from .warehouse import connect, quote_ident, quote_literal

# Schemas whose tables are dbt sources: the loader's raw layer and the fitted models' output.
SOURCE_SCHEMAS = ("raw", "predictions")


def spark_dir(data_root: Path) -> Path:
    """Everything the Spark target reads and writes, under the data directory."""
    return data_root / "spark"


def export_sources(
    warehouse: Path, destination: Path, schemas: tuple[str, ...] = SOURCE_SCHEMAS
) -> dict[str, int]:
    """Write every table of `schemas` to `destination/<schema>/<table>/part-0.parquet`.

    Returns the rows written per `schema.table`. Reads the warehouse read-only, so run it
    when no writer holds the file (after a load, in the writer pool).
    """
    written: dict[str, int] = {}
    with connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = current_database() and schema_name in"
            f" ({', '.join(quote_literal(s) for s in schemas)})"
            " order by schema_name, table_name"
        ).fetchall()
        for schema, table in tables:
            folder = destination / schema / table
            written[f"{schema}.{table}"] = _export_table(con, schema, table, folder)
    return written


def _export_table(con, schema: str, table: str, folder: Path) -> int:
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f".{table}.{uuid.uuid4().hex}.tmp")
    old = folder.with_name(f".{table}.{uuid.uuid4().hex}.old")
    fresh.mkdir()
    try:
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        target = quote_literal(str(fresh / "part-0.parquet"))
        con.execute(f"copy (select * from {relation}) to {target} (format parquet)")
        rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
        if folder.exists():
            os.replace(folder, old)
        os.replace(fresh, folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return rows


def spark_table_files(spark_warehouse: Path, schema: str, table: str) -> str | None:
    """The Parquet glob of a table Spark built (`<schema>.db/<table>/`, partitions as
    `scoring_date=.../` folders), or None when Spark has no such table."""
    folder = spark_warehouse / f"{schema}.db" / table
    files = list(folder.rglob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    nested = any(f.parent != folder for f in files)
    return str(folder / ("*/*.parquet" if nested else "*.parquet"))


def import_built_tables(
    warehouse: Path, spark_warehouse: Path, relations: list[tuple[str, str]]
) -> dict[str, int]:
    """Copy tables Spark built into the DuckDB warehouse (same schema and name), so the
    checks, the fitted models and publication read the target's results as they read
    DuckDB's. Relations Spark has no table for (views) are skipped. One transaction."""
    copied: dict[str, int] = {}
    with connect(warehouse) as con:
        con.execute("begin")
        try:
            for schema, table in relations:
                files = spark_table_files(spark_warehouse, schema, table)
                if files is None:
                    continue
                relation = f"{quote_ident(schema)}.{quote_ident(table)}"
                con.execute(f"create schema if not exists {quote_ident(schema)}")
                # A DuckDB build left a view of that name (staging models are views there).
                is_view = con.execute(
                    "select count(*) from duckdb_views() where database_name = current_database()"
                    " and schema_name = ? and view_name = ?",
                    [schema, table],
                ).fetchone()[0]
                if is_view:
                    con.execute(f"drop view {relation}")
                con.execute(
                    f"create or replace table {relation} as select * from"
                    f" read_parquet({quote_literal(files)}, hive_partitioning = true)"
                )
                copied[f"{schema}.{table}"] = con.execute(
                    f"select count(*) from {relation}"
                ).fetchone()[0]
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return copied
