"""A suite validated on a DuckDB query result in batches, so Python never holds a whole table.

The query runs once, into a temporary DuckDB table (DuckDB's memory, spilled under its
limit; never Python's). Up to `batch_rows` rows, the suite is validated on one DataFrame
of them, as it always was. Above, each DataFrame holds at most about `batch_rows` rows and
only the columns the expectations read, and the results are summed per expectation
(`expectations.merge`):

- per-row expectations (null, range, set, pattern, column pairs) judge each row alone:
  any cut gives the same verdict, so they take consecutive ranges of rows (which DuckDB
  reads without scanning the rest);
- a uniqueness expectation is exact when every batch holds all the rows of each of its
  values: it gets its own pass over its own columns, in batches cut by a hash of them
  (`hash(cols) % 4096`, packed into contiguous ranges of buckets up to `batch_rows`);
- row counts are validated once, on a frame without columns that has the query's number
  of rows;
- anything else needs the whole table and is only allowed in a `one_batch` suite
  (`expectations.check_batchable`); such a suite fails if its query returns more rows than
  a batch.

Failing rows are named by their position in the temporary table and read back whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .expectations import (
    ROW_COUNT,
    ExpectationOutcome,
    FrameValidator,
    SuiteFile,
    SuiteOutcome,
    Tally,
    merge,
    outcome,
    rows_at,
    unique_key,
)

DEFAULT_BATCH_ROWS = 500_000
BUCKETS = 4096  # hash buckets a key's batches are packed from (each ~ rows / 4096)
ROWS = "_gx_rows"  # the temporary table of the query's result
ROW_ID = "_gx_row"


@dataclass(frozen=True)
class Pass:
    """Expectations validated together, batch by batch, cut by `key` (None: row ranges)."""

    expectations: tuple[dict[str, Any], ...]
    positions: tuple[int, ...]  # of the expectations in the suite
    key: tuple[str, ...] | None
    bucket: str | None  # the temporary table's column holding hash(key) % BUCKETS


def plan(suite: SuiteFile) -> list[Pass]:
    """The passes over a table larger than a batch (row counts are not in any): per-row
    expectations over ranges of rows, each uniqueness key over hash buckets of its own."""
    members: dict[tuple[str, ...] | None, list[int]] = {None: []}
    for position, expectation in enumerate(suite.expectations):
        if expectation["type"] not in ROW_COUNT:
            members.setdefault(unique_key(expectation), []).append(position)
    return [
        Pass(
            expectations=tuple(suite.expectations[p] for p in positions),
            positions=tuple(positions),
            key=key,
            bucket=None if key is None else f"_gx_bucket_{n}",
        )
        for n, (key, positions) in enumerate(members.items())
        if positions
    ]


def validate_query(
    con: duckdb.DuckDBPyConnection,
    suite: SuiteFile,
    sql: str,
    parameters: dict[str, Any],
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> SuiteOutcome:
    """Every expectation of the suite on the query's rows; at most ~batch_rows in Python."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    passes = plan(suite)
    buckets = [
        f"hash({', '.join(map(_quote, p.key))}) % {BUCKETS} as {p.bucket}" for p in passes if p.key
    ]
    con.execute(
        f"create or replace temp table {ROWS} as "
        f"select *{''.join(', ' + b for b in buckets)} from ({sql}) as suite_query"
    )
    try:
        latest = f"max({_quote(suite.new_rows)})" if suite.new_rows else "null"
        rows, loaded_through = con.execute(f"select count(*), {latest} from {ROWS}").fetchone()
        outcome = _validate_rows(con, suite, rows, parameters, batch_rows, passes)
        outcome.loaded_through = loaded_through
        return outcome
    finally:
        con.execute(f"drop table if exists {ROWS}")


def _validate_rows(
    con: duckdb.DuckDBPyConnection,
    suite: SuiteFile,
    rows: int,
    parameters: dict[str, Any],
    batch_rows: int,
    passes: list[Pass],
) -> SuiteOutcome:
    """The suite on the `rows` rows of the temporary table: one frame, or pass by pass."""
    validator = FrameValidator(suite, parameters)
    if rows <= batch_rows:
        everything = Pass(suite.expectations, tuple(range(len(suite.expectations))), None, None)
        tallies, largest = _run(con, validator, everything, [(0, rows)])
        return _outcome(con, suite, rows, (1, largest), tallies, parameters)
    if suite.one_batch:
        return _too_many_rows(suite, rows, batch_rows, parameters)
    tallies: list[Tally | None] = [None] * len(suite.expectations)
    batches, largest = 0, 0
    for one_pass in passes:
        ranges = list(_ranges(con, one_pass, rows, batch_rows))
        results, most = _run(con, validator, one_pass, ranges)
        batches, largest = max(batches, len(ranges)), max(largest, most)
        for position, tally in zip(one_pass.positions, results, strict=True):
            tallies[position] = tally
    counts = tuple(e for e in suite.expectations if e["type"] in ROW_COUNT)
    if counts:
        # Row counts need rows, not columns: a frame of `rows` rows and no column.
        counted = iter(validator.tallies(counts, pd.DataFrame(index=pd.RangeIndex(rows))))
        tallies = [
            next(counted) if e["type"] in ROW_COUNT else t
            for e, t in zip(suite.expectations, tallies, strict=True)
        ]
    return _outcome(con, suite, rows, (batches, largest), tallies, parameters)


def _run(
    con: duckdb.DuckDBPyConnection,
    validator: FrameValidator,
    one_pass: Pass,
    ranges: list[tuple[int, int]],
) -> tuple[list[Tally], int]:
    """The pass's expectations over every batch, merged per expectation; and the rows of
    the largest batch."""
    columns = _columns(one_pass.expectations, con)
    per_batch, largest = [], 0
    for low, high in ranges:
        if one_pass.bucket is None:  # consecutive rows: their ids are a range
            frame = (
                _frame(con, columns, f"rowid >= {low} and rowid < {high}")
                if columns
                else pd.DataFrame(index=pd.RangeIndex(high - low))  # e.g. row counts alone
            )
            frame.index = pd.RangeIndex(low, high)
        else:
            where = f"{one_pass.bucket} between {low} and {high}"
            frame = _frame(con, columns, where, with_row_ids=True)
        per_batch.append(validator.tallies(one_pass.expectations, frame))
        largest = max(largest, len(frame))
        del frame
    by_expectation = zip(*per_batch, strict=True)
    return [merge(list(results), validator.parameters) for results in by_expectation], largest


def _ranges(
    con: duckdb.DuckDBPyConnection, one_pass: Pass, rows: int, batch_rows: int
) -> Iterator[tuple[int, int]]:
    """Batches: row ranges [low, high), or inclusive ranges of hash buckets of the key,
    each holding at most batch_rows rows (unless one bucket alone holds more)."""
    if one_pass.bucket is None:
        for low in range(0, rows, batch_rows):
            yield low, min(low + batch_rows, rows)
        return
    sizes = con.execute(
        f"select {one_pass.bucket}, count(*) from {ROWS} group by all order by 1"
    ).fetchall()
    packed: list[int] = []  # the buckets of the batch being filled
    total = 0
    for bucket, size in sizes:
        if packed and total + size > batch_rows:
            yield packed[0], packed[-1]
            packed, total = [], 0
        packed.append(bucket)
        total += size
    if packed:
        yield packed[0], packed[-1]


def _columns(expectations: tuple[dict[str, Any], ...], con: duckdb.DuckDBPyConnection) -> list[str]:
    """The columns the expectations read (all of them when one has a row condition)."""
    names: list[str] = []
    for expectation in expectations:
        kwargs = expectation.get("kwargs") or {}
        if kwargs.get("row_condition"):
            every = con.execute(f"select * from {ROWS} limit 0").description
            return [d[0] for d in every if not d[0].startswith("_gx_bucket_")]
        for argument in ("column", "column_A", "column_B", "column_list"):
            value = kwargs.get(argument)
            for name in value if isinstance(value, list) else [value] if value else []:
                if name not in names:
                    names.append(name)
    return names


def _frame(
    con: duckdb.DuckDBPyConnection, columns: list[str], where: str, with_row_ids: bool = False
) -> pd.DataFrame:
    """A batch as a DataFrame (indexed by row id if asked); narrow numbers widened to 64
    bits, where GX compares them vectorised rather than value by value (same verdicts)."""
    selected = ", ".join([*map(_quote, columns), *([f"rowid as {ROW_ID}"] if with_row_ids else [])])
    frame = con.execute(f"select {selected} from {ROWS} where {where}").df()
    if with_row_ids:
        # Unnamed, as a plain frame's: GX then lists failing rows by their label alone.
        frame = frame.set_index(ROW_ID).rename_axis(None)
    for name, dtype in frame.dtypes.items():
        if not isinstance(dtype, np.dtype):  # e.g. a nullable Int32 with NA: left as it is
            continue
        if dtype.kind in "iu" and dtype.itemsize < 8:
            frame[name] = frame[name].astype("int64")
        elif dtype.kind == "f" and dtype.itemsize < 8:
            frame[name] = frame[name].astype("float64")
    return frame


def _outcome(
    con: duckdb.DuckDBPyConnection,
    suite: SuiteFile,
    rows: int,
    batches: tuple[int, int],
    tallies: list[Tally],
    parameters: dict[str, Any],
) -> SuiteOutcome:
    def rows_of(ids: list[Any]) -> list[dict[str, Any]]:
        return _whole_rows(con, ids)

    outcomes = [outcome(t, parameters, rows_of) for t in tallies]
    return SuiteOutcome(suite.name, rows, outcomes, *batches)


def _whole_rows(con: duckdb.DuckDBPyConnection, ids: list[Any]) -> list[dict[str, Any]]:
    """The query's whole rows at these row ids, in the order given."""
    columns = [d[0] for d in con.execute(f"select * from {ROWS} limit 0").description]
    selected = "".join(f"{_quote(c)}, " for c in columns if not c.startswith("_gx_bucket_"))
    frame = con.execute(
        f"select {selected}rowid as {ROW_ID} from {ROWS} where rowid in (select unnest(?))",
        [[int(i) for i in ids]],
    ).df()
    return rows_at(frame.set_index(ROW_ID), ids)


def _too_many_rows(
    suite: SuiteFile, rows: int, batch_rows: int, parameters: dict[str, Any]
) -> SuiteOutcome:
    error = (
        f"the suite is one_batch and its query returned {rows} rows, more than a batch "
        f"({batch_rows}, SCORING_GX_BATCH_ROWS): aggregate in the query, or drop one_batch "
        "and the expectations that need the whole table"
    )
    outcomes = [
        ExpectationOutcome(
            expectation=e["type"],
            column=(e.get("kwargs") or {}).get("column"),
            severity=e.get("severity") or "critical",
            success=False,
            error=error,
        )
        for e in suite.expectations
    ]
    return SuiteOutcome(suite.name, rows, outcomes, 0)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
