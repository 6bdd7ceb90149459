"""The fixed lists (status, channel, event_type) as the warehouse table dbt and GX read.

The canonical contract (`canonical.py`) is the one home of each list; a source mapping may
extend a list (`accepted_values`). The loader writes both to `raw.accepted_values`, so
dbt's `accepted_in_contract` test and the Great Expectations suites check against exactly
what the loader accepted, and an extension such as `event_type: [wishlist_add]` reaches
them without being written anywhere else.
"""

from __future__ import annotations

import duckdb

from .canonical import SOURCES
from .sources import SourceConfig

TABLE = "raw.accepted_values"


def list_name(source: str, column: str) -> str:
    """How a list is named in raw.accepted_values and in the dbt test: `source.column`."""
    return f"{source}.{column}"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """The table, with the contract's lists for any source no load has written yet."""
    con.execute(
        f"create table if not exists {TABLE} "
        "(list_name varchar, value varchar, origin varchar, primary key (list_name, value))"
    )
    written = {row[0] for row in con.execute(f"select distinct list_name from {TABLE}").fetchall()}
    for source in SOURCES:
        names = {list_name(source, c.name) for c in SOURCES[source].columns if c.accepted}
        if names - written:
            write(con, source, None)


def write(con: duckdb.DuckDBPyConnection, source: str, config: SourceConfig | None) -> None:
    """Replace one source's lists: the contract's values, then the mapping's extensions."""
    rows: dict[tuple[str, str], str] = {}
    for column in SOURCES[source].columns:
        for value in column.accepted:
            rows[(list_name(source, column.name), value)] = "contract"
    for spec in config.inputs if config else ():
        for column, values in spec.accepted_values.items():
            for value in values:
                rows.setdefault((list_name(source, column), value.lower()), "sources.yml")
    con.execute(f"delete from {TABLE} where list_name like ?", [f"{source}.%"])
    if rows:
        con.executemany(
            f"insert into {TABLE} values (?, ?, ?)",
            [[name, value, origin] for (name, value), origin in rows.items()],
        )


def read(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every list, by name, values sorted."""
    return {
        name: sorted(values)
        for name, values in con.execute(
            f"select list_name, list(value) from {TABLE} group by list_name"
        ).fetchall()
    }
