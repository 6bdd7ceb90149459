"""One landing file as DuckDB scans it with the declared format (CSV, JSON lines, Parquet).

In the common case DuckDB reads every line itself, once: the `direct` scan, whose rows
are typed and checked straight from it. When DuckDB rejects a line (or a record spans
lines), its row numbers no longer match the file's lines, so the file is split line by
line here (`reading.split`) and the `split` scan reads the good records with their line
numbers, the rejected lines kept with their reasons.

DuckDB's own rejects table (`store_rejects`) only tells whether a line was rejected: it
does not serve as the quarantine, because an unterminated quote makes it swallow every
following line into one rejected "line", its line numbers count records rather than lines
after a quoted line end, and an undecodable byte is shown as `?`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import reading
from .sources import InputSpec, MappingError
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql


@dataclass(frozen=True)
class Scan:
    """A FROM item with `_row_index`, `_file_name` and the file's columns, and the SQL of
    each row's line number in the file."""

    sql: str
    line_number: str


class LandingFile:
    """A landing file's columns and its scans; temporary files are removed by `cleanup`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: InputSpec,
        path: str,
        display: str,
        scratch_dir: Path,
        lines: int | None = None,
    ) -> None:
        self.con, self.spec, self.path, self.display = con, spec, path, display
        self.tag = hashlib.md5(display.encode()).hexdigest()[:10]
        self.scratch_dir = scratch_dir
        self.temp_files: list[Path] = []
        self._lines = lines  # physical lines, when counted while hashing
        self.read_path = self._local_copy() if spec.format == "csv" and "://" in path else path
        self.rejected: list[reading.RejectedLine] = []  # lines the split rejected
        self.lines_file: Path | None = None  # a JSON-lines file split by reading.split_lines
        self.columns = self._probe_columns()

    # -- scans --------------------------------------------------------------------------
    def direct(self) -> Scan | None:
        """DuckDB reading the file alone (rejected lines counted, not kept); None when the
        file must be split here (an encoding DuckDB cannot read, a remote CSV)."""
        if self.spec.format == "parquet":
            return self._scan(f"read_parquet({ql(self.read_path)})", "_row_index")
        if self.spec.format == "jsonl":
            return self._scan(self._json_sql(self._lines_sql(self._rejects())), "_row_index")
        o = self.spec.csv
        encoding = reading.duckdb_encoding(self.read_path, o)
        if not encoding:
            return None
        csv = (
            f"read_csv({ql(self.read_path)}, auto_detect=false, columns={self._csv_columns()}, "
            f"header={'true' if o.header else 'false'}, delim={ql(o.delimiter)}, "
            f"quote={ql(o.quote)}, escape={ql(o.escape if o.escape is not None else o.quote)}, "
            f"skip={o.skip_lines}, encoding={ql(encoding)}, {self._rejects()})"
        )
        return self._scan(csv, f"_row_index + {o.skip_lines + (1 if o.header else 0)}")

    def direct_was_whole(self, rows: int) -> bool:
        """After a direct scan gave `rows` rows: did every line become exactly one row?"""
        if self.spec.format == "parquet":
            return True  # read by columns: no line to reject
        rejected = self.con.execute(f"select count(*) from rejects_{self.tag}").fetchone()[0]
        self.con.execute(f"drop table rejects_{self.tag}; drop table rejects_scan_{self.tag}")
        if self.spec.format == "jsonl" and "://" in self.read_path:
            return True  # a remote file cannot be split here: bad lines stay skipped
        before_data = 0
        if self.spec.format == "csv":
            before_data = self.spec.csv.skip_lines + (1 if self.spec.csv.header else 0)
        if self._lines is None:
            self._lines = reading.count_lines(self.read_path)
        return not rejected and rows + before_data == self._lines

    def split(self) -> Scan:
        """The file split line by line here: its good records with their line numbers;
        the rejected lines are in `self.rejected`."""
        clean = self._temp_file("clean", "lines.csv")
        if self.spec.format == "jsonl":
            result = reading.split_lines(self.read_path, clean)
            self.rejected, self.lines_file = result.rejected, result.clean_path
            return self._scan(self._json_sql(self._lines_sql()), qi(reading.LINE_COLUMN))
        result = reading.split(self.read_path, self.spec.csv, len(self.columns), clean)
        self._check_split(result)
        self.rejected = result.rejected
        csv = (
            f"read_csv({ql(str(result.clean_path))}, auto_detect=false, "
            f"columns={self._csv_columns(line_column=True)}, header=false, delim=',', "
            "quote='\"', escape='\"', encoding='utf-8')"
        )
        return self._scan(csv, qi(reading.LINE_COLUMN))

    def shape(self) -> str:
        """The file's columns and their types (and the pseudo-columns), without its rows."""
        if self.spec.format == "csv":
            columns = ", ".join(f"cast(null as varchar) as {qi(c)}" for c in self.columns)
            return self._scan(f"(select {columns} where false)", "_row_index").sql
        return self._scan(f"(select * from {self._plain_sql()} limit 0)", "_row_index").sql

    def raw_text(self, column: str) -> str:
        """The SQL of a row as the file had it (rebuilt from its columns for CSV and
        Parquet), over the scan's columns named by `column` (a prefix)."""
        if self.spec.format == "jsonl":
            return qi(column + "_raw_line")
        if self.spec.format == "parquet":
            cols = ", ".join(f"{ql(c)}: {qi(column + c)}" for c in self.columns)
            return f"to_json({{{cols}}})::varchar"
        parts = ", ".join(f"coalesce({qi(column + c)}, '')" for c in self.columns)
        return f"concat_ws({ql(self.spec.csv.delimiter)}, {parts})"

    @property
    def raw_columns(self) -> list[str]:
        """The scan's columns `raw_text` reads."""
        return ["_raw_line"] if self.spec.format == "jsonl" else list(self.columns)

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)

    # -- SQL of the readers -------------------------------------------------------------
    def _scan(self, from_sql: str, line_number: str) -> Scan:
        name = ql(os.path.basename(self.path))
        select = f"select row_number() over () as _row_index, {name} as _file_name, *"
        return Scan(f"({select} from {from_sql})", line_number)

    def _rejects(self) -> str:
        return (
            f"store_rejects=true, rejects_table='rejects_{self.tag}', "
            f"rejects_scan='rejects_scan_{self.tag}'"
        )

    def _csv_columns(self, line_column: bool = False) -> str:
        columns = [f"{ql(c)}: 'VARCHAR'" for c in self.columns]
        if line_column:
            columns.insert(0, f"{ql(reading.LINE_COLUMN)}: 'BIGINT'")
        return "{" + ", ".join(columns) + "}"

    def _lines_sql(self, options: str = "ignore_errors=true") -> str:
        """A JSON-lines file as one text column per line, so a malformed line is kept; once
        split (`self.lines_file`), its good lines with their line numbers."""
        if self.lines_file is not None:
            return (
                f"read_csv({ql(str(self.lines_file))}, auto_detect=false, header=false, "
                f"columns={{{ql(reading.LINE_COLUMN)}: 'BIGINT', '_raw_line': 'VARCHAR'}}, "
                "delim=',', quote='\"', escape='\"', encoding='utf-8')"
            )
        return (
            f"read_csv({ql(self.read_path)}, columns={{'_raw_line': 'VARCHAR'}}, header=false, "
            f"delim='\\x1f', quote='', escape='', auto_detect=false, {options})"
        )

    def _json_sql(self, lines: str) -> str:
        """Each JSON line's keys as text columns, `_is_json` false for a line that is not."""
        keys = "".join(
            f", json_extract_string(_doc, {ql('$.' + qi(k))}) as {qi(k)}" for k in self.columns
        )
        line = f", {qi(reading.LINE_COLUMN)}" if self.lines_file is not None else ""
        return (
            f"(select _raw_line{line}, _doc is not null as _is_json{keys} from (select *, "
            f"case when json_valid(_raw_line) then _raw_line::json end as _doc from {lines}))"
        )

    def _plain_sql(self) -> str:
        if self.spec.format == "parquet":
            return f"read_parquet({ql(self.read_path)})"
        return self._json_sql(self._lines_sql())

    # -- probing ------------------------------------------------------------------------
    def _local_copy(self) -> str:
        """An object-store CSV is copied locally, so its lines can be split if need be."""
        target = self._temp_file("remote", Path(self.path).name)
        content = self.con.execute("select content from read_blob(?)", [self.path]).fetchone()[0]
        target.write_bytes(content)
        return str(target)

    def _temp_file(self, kind: str, suffix: str) -> Path:
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        path = self.scratch_dir / f"{kind}_{self.tag}_{suffix}"
        self.temp_files.append(path)
        return path

    def _probe_columns(self) -> list[str]:
        local = "://" not in self.read_path
        if local and os.path.getsize(self.read_path) == 0:  # a failed export, most likely
            raise MappingError(
                f"{self.display} is empty (0 bytes, not even a header line): replace it with "
                "the export it should hold, or remove it from landing."
            )
        try:
            if self.spec.format == "csv":
                reading.check_encoding(self.read_path, self.spec.csv, self.display, self.spec.label)
                return reading.column_names(self.read_path, self.spec.csv)
            if self.spec.format == "jsonl":
                rows = self.con.execute(
                    f"select distinct unnest(json_keys(_raw_line)) as k from {self._lines_sql()} "
                    "where json_valid(_raw_line) order by k"
                ).fetchall()
                return [r[0] for r in rows]
            described = self.con.execute(f"describe select * from {self._plain_sql()}")
            return [r[0] for r in described.fetchall()]
        except (duckdb.Error, OSError) as exc:
            raise MappingError(f"Cannot read {self.display} as {self.spec.format}: {exc}") from None

    def _check_split(self, split: reading.SplitFile) -> None:
        """A wholly wrong file stops the load with what to change in the mapping."""
        o, rejected = self.spec.csv, split.rejected
        total = split.records + len(rejected)
        bad_encoding = sum(r.reason == reading.BAD_ENCODING for r in rejected)
        if bad_encoding >= 2 and bad_encoding * 2 > total:
            raise MappingError(
                f"{self.display}: {bad_encoding} of {total} lines are not valid {o.encoding}. "
                + reading.encoding_advice(self.read_path, self.spec.label)
            )
        if total and not split.records and not bad_encoding:
            raise MappingError(
                f"{self.display}: none of its {total} lines reads as {len(self.columns)} "
                f"columns with delimiter {o.delimiter!r} and quote {o.quote!r} (first line "
                f"{rejected[0].line}: {rejected[0].reason}). Check `csv: {{delimiter, quote, "
                f"header}}` for {self.spec.label} in sources.yml."
            )
