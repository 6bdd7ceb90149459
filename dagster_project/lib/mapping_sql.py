"""A source mapping turned into SQL over one file's columns: for each canonical column the
expression that gives it and the DuckDB type of that expression, checked against the file
before a row is read, so a mapping that does not fit says what to write instead."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .canonical import SOURCES
from .sources import InputSpec, MappingError
from .warehouse import quote_ident as qi


@dataclass(frozen=True)
class MappedColumns:
    """Canonical column -> SQL over the file's columns, and its DuckDB type."""

    expressions: dict[str, str]
    types: dict[str, str]


def map_columns(
    con: duckdb.DuckDBPyConnection,
    spec: InputSpec,
    display: str,
    file_columns: list[str],
    shape_sql: str,
) -> MappedColumns:
    """The mapping of `spec` over a file with `file_columns`; `shape_sql` is a FROM item
    with the file's columns (and pseudo-columns) and no row, to type the expressions."""
    source = SOURCES[spec.source]
    by_lower = {c.lower(): c for c in file_columns}
    has = ", ".join(file_columns) or "(no columns)"
    expressions: dict[str, str] = {}
    for column in source.columns:
        given = spec.columns.get(column.name)
        if given is not None:
            match = by_lower.get(given.lower())
            expressions[column.name] = qi(match) if match else given
        elif column.name.lower() in by_lower:
            expressions[column.name] = qi(by_lower[column.name.lower()])
        elif column.default is not None:
            expressions[column.name] = column.default
        elif column.required:
            raise MappingError(
                f"{display}: no column for required '{column.name}' ({spec.label}). Map it in "
                f"sources.yml, e.g. `columns: {{{column.name}: <your column>}}`. "
                f"The file has: {has}."
            )
        else:
            expressions[column.name] = "null"
    if source.one_of and not any(c in spec.columns or c in by_lower for c in source.one_of):
        raise MappingError(
            f"{display}: map one of {' or '.join(source.one_of)} ({spec.label}). "
            f"The file has: {has}."
        )

    def sql_type(name: str, sql: str) -> str:
        try:
            described = con.execute(
                f"describe select {sql} as _value from "
                f"(select *, _row_index as _line_number from {shape_sql})"
            ).fetchall()
            return described[0][1]
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            raise MappingError(
                f"{display}: mapping `{name}: {spec.columns.get(name, sql)}` ({spec.label}) "
                f"does not fit the file: {first_line}. The file has: {has}."
            ) from None

    types = {name: sql_type(name, sql) for name, sql in expressions.items()}
    if spec.filter:
        sql_type("filter", spec.filter)
    return MappedColumns(expressions, types)
