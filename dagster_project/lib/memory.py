"""The memory a load may use: DuckDB's `memory_limit`, spilling beyond it to a temporary
directory under the data directory, so a file larger than memory still loads."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb

from .sources import MappingError
from .warehouse import quote_literal as ql

MEMORY_LIMIT_VARIABLE = "SCORING_MEMORY_LIMIT"
DEFAULT_SHARE = 0.5  # of the machine's memory: dbt, Dagster and the OS need the rest


def memory_limit() -> str:
    """`$SCORING_MEMORY_LIMIT` (a DuckDB size such as `4GB`, or a share such as `0.25`),
    else half of the machine's memory."""
    given = os.environ.get(MEMORY_LIMIT_VARIABLE, "").strip()
    try:
        share = float(given) if given else DEFAULT_SHARE
    except ValueError:
        return given  # a size: DuckDB checks its unit
    if not 0 < share <= 1:
        raise MappingError(
            f"{MEMORY_LIMIT_VARIABLE}={given}: give a size such as 4GB or a share of the "
            "machine's memory between 0 and 1, such as 0.5."
        )
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, int(total * share) >> 20)}MiB"


def spill_directory(data_root: Path) -> Path:
    return data_root / "tmp" / "duckdb"


def bound_memory(con: duckdb.DuckDBPyConnection, data_root: Path) -> None:
    """Apply the limit and the spill directory to the connection's database."""
    limit = memory_limit()
    spill = spill_directory(data_root)
    spill.mkdir(parents=True, exist_ok=True)
    try:
        con.execute(f"set memory_limit = {ql(limit)}")
    except duckdb.Error as exc:
        raise MappingError(
            f"{MEMORY_LIMIT_VARIABLE}={limit}: not a memory size DuckDB understands "
            f"({str(exc).splitlines()[0]}). Give e.g. 4GB, 512MB or a share such as 0.5."
        ) from None
    current = con.execute("select current_setting('temp_directory')").fetchone()[0]
    if current != str(spill):
        # Already spilling elsewhere on this connection: keep that directory.
        with contextlib.suppress(duckdb.Error):
            con.execute(f"set temp_directory = {ql(str(spill))}")
