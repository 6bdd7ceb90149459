"""One file typed, checked and counted into a temporary stage table, in its own
transaction (its scratch space is freed before the next file); `apply` moves the staged
rows into `raw` inside the source's one transaction, so readers of `raw` see all the
source's files or none."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas

from .canonical import Source
from .landing_scan import LandingFile
from .manifest import FileLoad
from .mapping_sql import MappedColumns
from .typed_rows import typed_rows_sql
from .values import DateWindow
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql

READ_BY_DUCKDB = "duckdb"  # one pass: typed straight from DuckDB's scan of the file
READ_BY_SPLIT = "split"  # DuckDB rejected a line: split line by line, then typed


@dataclass
class StagedFile:
    """A file's rows in `table` (a temporary table of this connection) and its counts."""

    landing: LandingFile
    load: FileLoad
    table: str
    read_by: str


def stage_file(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing: LandingFile,
    mapped: MappedColumns,
    window: DateWindow,
    file_load: FileLoad,
    split: bool = False,
) -> StagedFile:
    """Type and check the file's rows into a stage table and count them into `file_load`.
    DuckDB reads the file alone unless `split` or it rejects a line."""
    table = f"stage_{landing.tag}"
    con.execute("begin transaction")
    try:
        direct = None if split else landing.direct()
        read_by = READ_BY_SPLIT
        if direct is not None:
            con.execute(
                f"create or replace temp table {table} as "
                f"{typed_rows_sql(source, landing, direct, mapped, window)}"
            )
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
            if landing.direct_was_whole(rows):
                read_by = READ_BY_DUCKDB
        if read_by == READ_BY_SPLIT:
            scan = landing.split()
            con.execute(
                f"create or replace temp table {table} as "
                f"{typed_rows_sql(source, landing, scan, mapped, window)}"
            )
        filtered, quarantined, duplicate, loaded = con.execute(
            f"""
            select count(*) filter (where not _keep),
                   count(*) filter (where _keep and _reason is not null),
                   count(*) filter (where _keep and _reason is null and _dup_rank > 1),
                   count(*) filter (where _keep and _reason is null and _dup_rank = 1)
            from {table}
            """
        ).fetchone()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    file_load.rows_filtered, file_load.rows_duplicate, file_load.rows_loaded = (
        filtered,
        duplicate,
        loaded,
    )
    file_load.rows_quarantined = quarantined + len(landing.rejected)
    file_load.rows_read = filtered + quarantined + duplicate + loaded + len(landing.rejected)
    file_load.read_by = read_by
    return StagedFile(landing, file_load, table, read_by)


def apply(con: duckdb.DuckDBPyConnection, source: Source, staged: StagedFile) -> None:
    """Insert the staged good rows into `raw.<source>` (the latest file's version of a key
    wins over the version another file brought) and the quarantined lines into
    `raw.quarantine`; run inside the source's transaction."""
    f, table = staged.load, staged.table
    good = f"(select * from {table} where _keep and _reason is null and _dup_rank = 1)"
    same_key = " and ".join(f"r.{qi(k)} = g.{qi(k)}" for k in source.key)
    f.rows_replaced = con.execute(
        f"select count(*) from raw.{source.name} r where exists "
        f"(select 1 from {good} g where {same_key})"
    ).fetchone()[0]
    if f.rows_replaced:
        con.execute(f"delete from raw.{source.name} r using {good} g where {same_key}")
    canonical = ", ".join(qi(c.name) for c in source.columns)
    con.execute(
        f"insert into raw.{source.name} select {canonical}, {ql(f.path)}, _line_number, "
        f"{ql(f.file_hash)}, now()::timestamp from {good}"
    )
    _quarantine(con, staged)


def _quarantine(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    landing, f = staged.landing, staged.load
    head = f"insert into raw.quarantine select {ql(landing.spec.source)}, {ql(f.path)}"
    tail = f"{ql(f.file_hash)}, now()::timestamp"
    if landing.rejected:
        lines = pandas.DataFrame(
            {
                "line_number": [r.line for r in landing.rejected],
                "raw_text": [r.raw_text for r in landing.rejected],
                "reason": [r.reason for r in landing.rejected],
            }
        )
        con.register(f"rejected_{landing.tag}", lines)
        con.execute(f"{head}, line_number, raw_text, reason, {tail} from rejected_{landing.tag}")
        con.unregister(f"rejected_{landing.tag}")
    con.execute(
        f"{head}, _line_number, _raw_text, _reason, {tail} from {staged.table} "
        "where _keep and _reason is not null order by _line_number"
    )


def drop(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    con.execute(f"drop table if exists {staged.table}")
