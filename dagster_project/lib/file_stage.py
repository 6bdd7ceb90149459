"""A source's new rows staged in one table beside its raw table, then published at once.

Each file is typed, checked and counted straight from its scan into the stage
(`raw._loading_<source>`, the raw columns plus a few working ones), in its own
transaction, so its scratch space is freed when it ends and the staged rows sit in the
database file, not in memory. Files are staged side by side, each on a connection of its
own (`stage_files`): numbering a file's rows in file order keeps its scan on one core.
`publish` then moves the stage into `raw.<source>` inside the source's one transaction,
so readers of `raw` see all the source's files or none: when `raw.<source>` holds no row
(a first load, a full reload) the stage simply becomes the raw table (working columns
dropped, renamed): no second copy of the rows; otherwise the new rows are inserted. No
reader queries the stage; a stage left by a killed load is dropped by the next one.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pandas

from .canonical import LINEAGE_COLUMNS, SQL_TYPES, Source
from .landing_scan import LandingFile, Scan
from .manifest import FileLoad
from .mapping_sql import MappedColumns
from .typed_rows import typed_rows_sql
from .values import DateWindow
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql

READ_BY_DUCKDB = "duckdb"  # one pass: typed straight from DuckDB's scan of the file
READ_BY_SPLIT = "split"  # DuckDB rejected a line: split line by line, then typed

STAGE_PREFIX = "_loading_"
# Working columns of the stage, dropped before it becomes the raw table.
WORK_COLUMNS = (("_reason", "VARCHAR"), ("_raw_text", "VARCHAR"), ("_keep", "BOOLEAN"))
FILE_COLUMN = ("_file_seq", "INTEGER")  # which file of this load a row came from
# Files staged at the same time, at most (and at most DuckDB's threads): each holds its
# scan's memory, under the one memory limit of the database.
MAX_PARALLEL_FILES = 4


@dataclass
class StagedFile:
    """A file whose good rows are in the stage (`seq` tells them apart), and its counts."""

    landing: LandingFile
    load: FileLoad
    seq: int
    read_by: str


class SourceStage:
    """The stage of one source's load: its rows table and its quarantined lines."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Source) -> None:
        self.con, self.source = con, source
        self.name = STAGE_PREFIX + source.name
        self.table = f"raw.{qi(self.name)}"
        self.quarantine = f"raw.{qi(self.name + '_quarantine')}"
        # One time for the whole load, as when every file landed in one transaction.
        self.loaded_at = con.execute("select now()::timestamp::varchar").fetchone()[0]
        self.files: list[StagedFile] = []
        self.drop()
        columns = [f"{qi(c.name)} {SQL_TYPES[c.type]}" for c in source.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in (*LINEAGE_COLUMNS, *WORK_COLUMNS)]
        columns.append(" ".join(FILE_COLUMN))
        con.execute(f"create table {self.table} ({', '.join(columns)})")
        con.execute(f"create table {self.quarantine} as select * from raw.quarantine limit 0")

    # -- one file, one transaction ------------------------------------------------------
    def stage_files(
        self,
        files: list[tuple[LandingFile, MappedColumns, DateWindow, FileLoad]],
        split: bool = False,
    ) -> None:
        """Stage every file, several at a time, each in its own transaction on a
        connection of its own (DuckDB runs them side by side; Python waits). The first
        failure is raised once the stagings under way have ended."""
        threads = int(self.con.execute("select current_setting('threads')").fetchone()[0])
        workers = max(1, min(len(files), threads, MAX_PARALLEL_FILES))
        idle: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        for _ in range(workers):
            idle.put(self.con.cursor())

        def stage(seq: int, file: tuple) -> StagedFile:
            con = idle.get()  # one is free: as many connections as workers
            try:
                return self.stage_file(con, seq, *file, split=split)
            finally:
                idle.put(con)

        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                jobs = [pool.submit(stage, seq, file) for seq, file in enumerate(files, 1)]
                self.files.extend(job.result() for job in jobs)
        finally:
            for _ in range(workers):
                idle.get().close()

    def stage_file(
        self,
        con: duckdb.DuckDBPyConnection,
        seq: int,
        landing: LandingFile,
        mapped: MappedColumns,
        window: DateWindow,
        file_load: FileLoad,
        split: bool = False,
    ) -> StagedFile:
        """Type and check the file's rows into the stage as file number `seq` and count
        them into `file_load`, on `con`. DuckDB reads the file alone unless `split` or it
        rejects a line."""
        landing.con = con  # DuckDB's rejects tables of its scan are the connection's own
        con.execute("begin transaction")
        try:
            direct = None if split else landing.direct()
            read_by = READ_BY_SPLIT
            if direct is not None:
                counts = self._insert(con, landing, direct, mapped, window, file_load, seq)
                if landing.direct_was_whole(counts[0]):
                    read_by = READ_BY_DUCKDB
                else:
                    con.execute(f"delete from {self.table} where _file_seq = {seq}")
            if read_by == READ_BY_SPLIT:
                scan = landing.split()
                counts = self._insert(con, landing, scan, mapped, window, file_load, seq)
            total, filtered, quarantined = counts
            self._quarantine(con, landing, file_load, seq, quarantined)
            if filtered or quarantined:
                con.execute(
                    f"delete from {self.table} "
                    f"where _file_seq = {seq} and (not _keep or _reason is not null)"
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        f = file_load
        # Duplicates of the natural key are taken off when the whole load is staged
        # (`drop_superseded`): one pass over the keys for all files.
        f.rows_filtered, f.rows_loaded = filtered, total - filtered - quarantined
        f.rows_quarantined = quarantined + len(landing.rejected)
        f.rows_read = total + len(landing.rejected)
        f.read_by = read_by
        return StagedFile(landing, f, seq, read_by)

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        landing: LandingFile,
        scan: Scan,
        mapped: MappedColumns,
        window: DateWindow,
        f: FileLoad,
        seq: int,
    ) -> tuple[int, int, int]:
        """Every row of the scan into the stage; (rows, filtered out, to quarantine)."""
        canonical = ", ".join(qi(c.name) for c in self.source.columns)
        typed = typed_rows_sql(self.source, landing, scan, mapped, window)
        con.execute(
            f"insert into {self.table} select {canonical}, {ql(f.path)}, _line_number, "
            f"{ql(f.file_hash)}, {self._loaded_at()}, _reason, _raw_text, _keep, {seq} "
            f"from ({typed})"
        )
        return con.execute(
            "select count(*), count(*) filter (where not _keep), "
            f"count(*) filter (where _keep and _reason is not null) "
            f"from {self.table} where _file_seq = {seq}"
        ).fetchall()[0]

    def _quarantine(
        self,
        con: duckdb.DuckDBPyConnection,
        landing: LandingFile,
        f: FileLoad,
        seq: int,
        typed: int,
    ) -> None:
        """The file's rejected lines and the rows its checks refused, to the stage's
        quarantine."""
        head = f"insert into {self.quarantine} select {ql(landing.spec.source)}, {ql(f.path)}"
        tail = f"{ql(f.file_hash)}, {self._loaded_at()}"
        if landing.rejected:
            lines = pandas.DataFrame(
                {
                    "line_number": [r.line for r in landing.rejected],
                    "raw_text": [r.raw_text for r in landing.rejected],
                    "reason": [r.reason for r in landing.rejected],
                }
            )
            con.register(f"rejected_{landing.tag}", lines)
            con.execute(
                f"{head}, line_number, raw_text, reason, {tail} from rejected_{landing.tag}"
            )
            con.unregister(f"rejected_{landing.tag}")
        if typed:
            con.execute(
                f"{head}, _line_number, _raw_text, _reason, {tail} from {self.table} "
                f"where _file_seq = {seq} and _keep and _reason is not null order by _line_number"
            )

    def _loaded_at(self) -> str:
        return f"timestamp {ql(self.loaded_at)}"

    # -- into raw, inside the source's transaction ------------------------------------------
    def replace_history(self, staged: StagedFile) -> None:
        """Delete the rows of `raw.<source>` the file brings a newer version of (same
        natural key), counted as its `rows_replaced`; files in load order."""
        raw = f"raw.{self.source.name}"
        same_key = " and ".join(f"r.{qi(k)} = g.{qi(k)}" for k in self.source.key)
        good = f"(select * from {self.table} where _file_seq = {staged.seq})"
        staged.load.rows_replaced += self.con.execute(
            f"delete from {raw} r using {good} g where {same_key}"
        ).fetchone()[0]

    def drop_superseded(self) -> None:
        """Of the staged rows of one natural key, the last line of the latest file wins.
        Each other row is a duplicate of its own file when the next row of the key is in
        the same file, else replaced by the next file that has the key. One hash
        aggregate over all staged keys finds the repeated ones (usually none); only
        their rows are ordered."""
        keys = ", ".join(qi(k) for k in self.source.key)
        repeated = self.con.execute(
            f"select count(*) from (select {keys} from {self.table} "
            "group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if not repeated:
            return
        same_key = " and ".join(
            f"s.{qi(k)} is not distinct from d.{qi(k)}" for k in self.source.key
        )
        self.con.execute(
            f"""
            create or replace temp table _superseded as
            select * from (
                select {keys}, _file_seq, _line_number, lead(_file_seq) over (
                    partition by {keys} order by _file_seq, _line_number
                ) as _by
                from {self.table} s semi join (
                    select {keys} from {self.table} group by all having count(*) > 1
                ) d on {same_key}
            ) where _by is not null
            """
        )
        counts = self.con.execute(
            "select _by, count(*) filter (where _by = _file_seq), "
            "count(*) filter (where _by <> _file_seq) from _superseded group by _by"
        ).fetchall()
        by_seq = {staged.seq: staged.load for staged in self.files}
        for seq, duplicate, replaced in counts:
            by_seq[seq].rows_duplicate += duplicate
            by_seq[seq].rows_loaded -= duplicate
            by_seq[seq].rows_replaced += replaced
        self.con.execute(
            f"delete from {self.table} s using _superseded d where s._file_seq = d._file_seq "
            f"and s._line_number = d._line_number and {same_key}"
        )
        self.con.execute("drop table _superseded")

    def publish(self) -> None:
        """The staged rows into `raw.<source>`: by renaming the stage when the raw table
        has no row left, else by one insert; the quarantined lines into `raw.quarantine`."""
        raw = f"raw.{self.source.name}"
        if self.con.execute(f"select count(*) from {raw}").fetchone()[0] == 0:
            self.con.execute(f"drop table {raw}")
            for name, _ in (*WORK_COLUMNS, FILE_COLUMN):
                self.con.execute(f"alter table {self.table} drop column {name}")
            self.con.execute(f"alter table {self.table} rename to {qi(self.source.name)}")
        else:
            columns = [qi(c.name) for c in self.source.columns]
            columns += [name for name, _ in LINEAGE_COLUMNS]
            self.con.execute(f"insert into {raw} select {', '.join(columns)} from {self.table}")
        self.con.execute(f"insert into raw.quarantine select * from {self.quarantine}")

    def drop(self) -> None:
        """Drop the stage (after it was published, or left by a failed or killed load)."""
        self.con.execute(f"drop table if exists {self.table}")
        self.con.execute(f"drop table if exists {self.quarantine}")
