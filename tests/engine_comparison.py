"""Two builds of the dbt project compared table by table: DuckDB's warehouse file against
the Parquet folders of Spark's warehouse (`<schema>.db/<table>/`), read by DuckDB.

Rows are matched after sorting both sides; numbers are equal to 1e-9 relative, everything
else exactly; columns are matched by name (Spark puts partition columns last).
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import duckdb

from dagster_project.lib.spark_exchange import spark_table_files
from dagster_project.lib.warehouse import quote_ident, quote_literal

# Schemas of the tables dbt builds (staging models are views: compared through the tables).
BUILT_SCHEMAS = ("scoring_rules", "intermediate", "features", "marts", "quality")
RELATIVE_TOLERANCE = 1e-9


def sort_key(row: tuple) -> tuple:
    """Rows of both engines in one order: numbers rounded well above the tolerance."""
    key = []
    for value in row:
        if value is None:
            key.append((0, ""))
        elif isinstance(value, (float, decimal.Decimal)) and not isinstance(value, bool):
            key.append((1, f"{float(value):.6g}"))
        else:
            key.append((2, str(value)))
    return tuple(key)


def same_value(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    numeric = (int, float, decimal.Decimal)
    if isinstance(left, numeric) and isinstance(right, numeric):
        a, b = float(left), float(right)
        return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b)) or a == b
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(map(same_value, left, right))
    return type(left) is type(right) and left == right


def table_differences(con: duckdb.DuckDBPyConnection, duck: str, spark: str) -> list[str]:
    """What differs between two relations, in words (empty when they are equal)."""
    duck_columns = [row[0] for row in con.execute(f"describe select * from {duck}").fetchall()]
    spark_columns = [row[0] for row in con.execute(f"describe select * from {spark}").fetchall()]
    if sorted(duck_columns) != sorted(spark_columns):
        return [f"columns differ: duckdb {duck_columns}, spark {spark_columns}"]
    listed = ", ".join(quote_ident(c) for c in duck_columns)
    duck_rows = sorted(con.execute(f"select {listed} from {duck}").fetchall(), key=sort_key)
    spark_rows = sorted(con.execute(f"select {listed} from {spark}").fetchall(), key=sort_key)
    if len(duck_rows) != len(spark_rows):
        return [f"{len(duck_rows)} rows on duckdb, {len(spark_rows)} on spark"]
    problems = []
    for number, (left, right) in enumerate(zip(duck_rows, spark_rows, strict=True)):
        for column, a, b in zip(duck_columns, left, right, strict=True):
            if not same_value(a, b):
                problems.append(f"row {number} {column}: duckdb {a!r}, spark {b!r}")
        if len(problems) >= 5:
            break
    return problems


def compare_builds(warehouse: Path, spark_warehouse: Path) -> dict[str, list[str]]:
    """Every table dbt built on DuckDB against the same table in Spark's warehouse folder."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = current_database() and schema_name in"
            f" ({', '.join(quote_literal(s) for s in BUILT_SCHEMAS)})"
            " order by schema_name, table_name"
        ).fetchall()
        results: dict[str, list[str]] = {}
        for schema, table in tables:
            files = spark_table_files(spark_warehouse, schema, table)
            if files is None:
                results[f"{schema}.{table}"] = ["not built on spark"]
                continue
            spark = f"read_parquet({quote_literal(files)}, hive_partitioning = true)"
            duck = f"{quote_ident(schema)}.{quote_ident(table)}"
            results[f"{schema}.{table}"] = table_differences(con, duck, spark)
    return results


if __name__ == "__main__":  # python tests/engine_comparison.py <warehouse.duckdb> <spark warehouse>
    import sys

    for name, problems in compare_builds(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{name}: {'same' if not problems else '; '.join(problems)}")
