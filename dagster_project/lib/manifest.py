"""Accounting of loads: what happened to each file (read = loaded + quarantined +
duplicates + filtered), and the warehouse tables that keep it (`raw.load_manifest`,
`raw.quarantine`) beside the raw tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from . import accepted_values
from .canonical import LINEAGE_COLUMNS, SOURCES, SQL_TYPES
from .warehouse import quote_ident as qi


@dataclass
class FileLoad:
    """What happened to one file in one load."""

    path: str
    file_hash: str
    # loaded | reloaded (content or mapping changed) | unchanged | same_content_as_other
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_filtered: int = 0
    rows_replaced: int = 0  # rows of other files superseded by this file (same natural key)
    read_by: str = ""  # duckdb (one pass) | split (line by line here); not in the manifest

    @property
    def balanced(self) -> bool:
        accounted = self.rows_loaded + self.rows_quarantined + self.rows_duplicate
        return self.rows_read == accounted + self.rows_filtered


@dataclass
class SourceLoad:
    """What happened to one source in one load."""

    source: str
    files: list[FileLoad] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    table_rows: int = 0

    @property
    def absent(self) -> bool:
        return not self.files and not self.table_rows

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables (empty for absent sources, so dbt always compiles)."""
    con.execute("create schema if not exists raw")
    for source in SOURCES.values():
        columns = [f"{qi(c.name)} {SQL_TYPES[c.type]}" for c in source.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
        con.execute(f"create table if not exists raw.{source.name} ({', '.join(columns)})")
    con.execute(
        """
        create table if not exists raw.quarantine (
            source varchar, file_path varchar, line_number bigint, raw_text varchar,
            reason varchar, file_hash varchar, quarantined_at timestamp
        )
        """
    )
    con.execute(
        """
        create table if not exists raw.load_manifest (
            source varchar, file_path varchar, file_hash varchar, status varchar,
            rows_read bigint, rows_loaded bigint, rows_quarantined bigint,
            rows_duplicate bigint, rows_filtered bigint, rows_replaced bigint,
            loaded_at timestamp, is_present boolean
        )
        """
    )
    accepted_values.ensure_table(con)


@dataclass(frozen=True)
class KnownFile:
    """A file an earlier load of the source saw, as its manifest line tells it."""

    digest: str  # of its content and the mapping that read it (`landing_files.identity`)
    present: bool  # in landing at the last load


def known_files(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, KnownFile]:
    """File path -> what the manifest knows of it, for every file a load of `source` saw."""
    rows = con.execute(
        "select file_path, file_hash, is_present from raw.load_manifest where source = ?", [source]
    ).fetchall()
    return {path: KnownFile(digest, present) for path, digest, present in rows}


def forget_file(con: duckdb.DuckDBPyConnection, source: str, path: str) -> None:
    """Drop what an earlier load of the file brought (its rows and its quarantined lines)."""
    con.execute(f"delete from raw.{source} where _source_file = ?", [path])
    con.execute("delete from raw.quarantine where source = ? and file_path = ?", [source, path])


def set_present(con: duckdb.DuckDBPyConnection, source: str, path: str, present: bool) -> None:
    con.execute(
        "update raw.load_manifest set is_present = ? where source = ? and file_path = ?",
        [present, source, path],
    )


def record(con: duckdb.DuckDBPyConnection, source: str, f: FileLoad, loaded_at: str) -> None:
    """The file's line in the manifest (replacing the one of its previous content), with
    the load time its rows carry in `_loaded_at`: checks that validate only new rows read
    it here, one row per file, rather than joining the rows themselves."""
    con.execute(
        "delete from raw.load_manifest where source = ? and file_path = ?", [source, f.path]
    )
    con.execute(
        "insert into raw.load_manifest "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as timestamp), true)",
        [
            source,
            f.path,
            f.file_hash,
            f.status,
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.rows_duplicate,
            f.rows_filtered,
            f.rows_replaced,
            loaded_at,
        ],
    )
