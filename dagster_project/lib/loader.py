"""Loading landing files into the warehouse's `raw` schema without losing a row.

For every file: read = loaded + quarantined + duplicates + filtered. Malformed rows go
to `raw.quarantine` with file, line, raw text and reason; a load manifest keyed by file
content makes reruns load nothing twice; each source loads in one transaction, so a
crash leaves the raw tables as they were.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas

from . import accepted_values, reading
from .canonical import LINEAGE_COLUMNS, SOURCES, SQL_TYPES, Source
from .sources import InputSpec, MappingError, SourceConfig
from .values import DateWindow, convert
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql


@dataclass
class FileLoad:
    """What happened to one file in one load."""

    path: str
    file_hash: str
    status: str  # loaded | reloaded (content changed) | unchanged | same_content_as_other
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_filtered: int = 0
    rows_replaced: int = 0  # rows of other files superseded by this file (same natural key)

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


def load_source(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig | None,
    data_root: Path,
    name: str,
    load_date: date | None = None,
) -> SourceLoad:
    """Load every new or changed file of one source, atomically.

    `load_date` (default today) bounds the plausible dates: a fact dated after it (plus the
    mapping's `days_after_load`) is quarantined.
    """
    load_date = load_date or date.today()
    ensure_schema(con)
    result = SourceLoad(name)
    files = list_files(config, data_root) if config else []
    if not files and name == "transactions":
        where = ", ".join(i.path for i in config.inputs) if config else "(no input declared)"
        raise MappingError(
            f"No transactions file found at {where} (relative to {data_root}). "
            "Put order exports there, or fix `path` in sources.yml; transactions are required."
        )
    known = _manifest(con, name)
    plans: list[tuple[str, FileLoad, _Reader]] = []
    seen_hashes = {h for h, _ in known.values()}
    for spec, path in files:
        display = _display(path, data_root)
        digest = _fingerprint(con, path)
        previous = known.get(display)
        if previous and previous[0] == digest:
            result.files.append(FileLoad(display, digest, "unchanged"))
            continue
        if digest in seen_hashes and not previous:
            result.files.append(FileLoad(display, digest, "same_content_as_other"))
            continue
        seen_hashes.add(digest)
        status = "reloaded" if previous else "loaded"
        reader = _Reader(con, spec, path, display, data_root, load_date)  # checks mapping
        plans.append((display, FileLoad(display, digest, status), reader))
        result.files.append(plans[-1][1])  # counts are filled in when it loads

    listed = {_display(p, data_root) for _, p in files}
    gone = [p for p in known if p not in listed]
    removed = [p for p in gone if known[p][1]]  # newly gone since the last load
    prune = bool(config and config.prune_removed_files)
    con.execute("begin transaction")
    try:
        accepted_values.write(con, name, config)
        for display, file_load, reader in plans:
            if file_load.status == "reloaded":
                _forget_file(con, name, display)
            reader.load_into(SOURCES[name], file_load)
            _record(con, name, file_load)
        for display in gone if prune else removed:
            if prune:
                _forget_file(con, name, display)
            con.execute(
                "update raw.load_manifest set is_present = false "
                "where source = ? and file_path = ?",
                [name, display],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for *_, reader in plans:
            reader.cleanup()
    result.removed_files = removed
    result.table_rows = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
    return result


def list_files(config: SourceConfig, data_root: Path) -> list[tuple[InputSpec, str]]:
    """The files each input's glob matches (relative globs are under the data directory)."""
    files: list[tuple[InputSpec, str]] = []
    for spec in config.inputs:
        pattern = spec.path
        if "://" not in pattern and not os.path.isabs(pattern):
            pattern = str(data_root / pattern)
        matches = sorted(glob.glob(pattern, recursive=True)) if "://" not in pattern else [pattern]
        files += [(spec, m) for m in matches if "://" in m or os.path.isfile(m)]
    return files


def _display(path: str, data_root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(data_root))
    except ValueError:
        return path


def _fingerprint(con: duckdb.DuckDBPyConnection, path: str) -> str:
    """Content hash of a local file; size and modification time for object-store URLs."""
    if "://" in path:
        size, modified = con.execute(
            "select size, last_modified from read_blob(?)", [path]
        ).fetchone()
        return f"{size}:{modified}"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, tuple[str, bool]]:
    rows = con.execute(
        "select file_path, file_hash, is_present from raw.load_manifest where source = ?", [source]
    ).fetchall()
    return {path: (digest, present) for path, digest, present in rows}


def _forget_file(con: duckdb.DuckDBPyConnection, source: str, display: str) -> None:
    con.execute(f"delete from raw.{source} where _source_file = ?", [display])
    con.execute("delete from raw.quarantine where source = ? and file_path = ?", [source, display])


def _record(con: duckdb.DuckDBPyConnection, source: str, f: FileLoad) -> None:
    con.execute(
        "delete from raw.load_manifest where source = ? and file_path = ?", [source, f.path]
    )
    con.execute(
        "insert into raw.load_manifest "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp, true)",
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
        ],
    )


class _Reader:
    """Reads one file as text columns, then types, checks and loads its rows."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: InputSpec,
        path: str,
        display: str,
        data_root: Path,
        load_date: date,
    ) -> None:
        self.con, self.spec, self.path, self.display = con, spec, path, display
        self.tag = hashlib.md5(display.encode()).hexdigest()[:10]
        self.tmp_dir = data_root / "tmp"
        self.temp_files: list[Path] = []
        plausible = spec.plausible_dates
        self.window = DateWindow(
            plausible.earliest, load_date + timedelta(days=plausible.days_after_load)
        )
        self.read_path = self._local_copy() if spec.format == "csv" and "://" in path else path
        self.rejected: list[reading.RejectedLine] = []
        self.lines_file: Path | None = None  # a JSON-lines file split by reading.split_lines
        self.file_columns = self._probe_columns()
        self.expressions, self.types = self._mapping()

    # -- reading ----------------------------------------------------------------------
    def _local_copy(self) -> str:
        """An object-store CSV is copied locally, so its lines can be split if need be."""
        target = self._temp_file("remote", Path(self.path).name)
        content = self.con.execute("select content from read_blob(?)", [self.path]).fetchone()[0]
        target.write_bytes(content)
        return str(target)

    def _temp_file(self, kind: str, suffix: str) -> Path:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        path = self.tmp_dir / f"{kind}_{self.tag}_{suffix}"
        self.temp_files.append(path)
        return path

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

    def _csv_columns(self, line_column: bool = False) -> str:
        columns = [f"{ql(c)}: 'VARCHAR'" for c in self.file_columns]
        if line_column:
            columns.insert(0, f"{ql(reading.LINE_COLUMN)}: 'BIGINT'")
        return "{" + ", ".join(columns) + "}"

    def _declared_csv_sql(self) -> str:
        """The file read by DuckDB with the declared dialect, no sniffing; rejected lines are
        only counted here (they are split and quarantined by reading)."""
        o = self.spec.csv
        return (
            f"read_csv({ql(self.read_path)}, auto_detect=false, "
            f"columns={self._csv_columns()}, header={'true' if o.header else 'false'}, "
            f"delim={ql(o.delimiter)}, quote={ql(o.quote)}, "
            f"escape={ql(o.escape if o.escape is not None else o.quote)}, skip={o.skip_lines}, "
            f"encoding={ql(reading.duckdb_encoding(self.read_path, o))}, store_rejects=true, "
            f"rejects_table='rejects_{self.tag}', rejects_scan='rejects_scan_{self.tag}')"
        )

    def _clean_csv_sql(self, clean_path: Path) -> str:
        """A file rewritten by reading.split: line number, then the good records."""
        return (
            f"read_csv({ql(str(clean_path))}, auto_detect=false, "
            f"columns={self._csv_columns(line_column=True)}, header=false, delim=',', "
            "quote='\"', escape='\"', encoding='utf-8')"
        )

    def _shape_sql(self) -> str:
        """The file's columns and their types, without reading its rows."""
        if self.spec.format == "csv":
            columns = ", ".join(f"cast(null as varchar) as {qi(c)}" for c in self.file_columns)
            return f"(select {columns} where false)"
        return f"(select * from {self._scan_sql()} limit 0)"

    def _scan_sql(self, counting_rejects: bool = False) -> str:
        """The rows of a Parquet or JSON-lines file (Parquet keeps its types); lines DuckDB
        cannot decode are skipped, and counted in a rejects table if `counting_rejects`."""
        if self.spec.format == "parquet":
            return f"read_parquet({ql(self.read_path)})"
        keys = "".join(
            f", json_extract_string(_doc, {ql('$.' + qi(k))}) as {qi(k)}" for k in self.file_columns
        )
        line = f", {qi(reading.LINE_COLUMN)}" if self.lines_file is not None else ""
        lines = self._lines_sql(
            f"store_rejects=true, rejects_table='rejects_{self.tag}', "
            f"rejects_scan='rejects_scan_{self.tag}'"
            if counting_rejects
            else "ignore_errors=true"
        )
        return (
            f"(select _raw_line{line}, _doc is not null as _is_json{keys} from (select *, "
            f"case when json_valid(_raw_line) then _raw_line::json end as _doc from {lines}))"
        )

    def _probe_columns(self) -> list[str]:
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
            described = self.con.execute(f"describe select * from {self._scan_sql()}")
            return [r[0] for r in described.fetchall()]
        except (duckdb.Error, OSError) as exc:
            raise MappingError(f"Cannot read {self.display} as {self.spec.format}: {exc}") from None

    def _mapping(self) -> tuple[dict[str, str], dict[str, str]]:
        """Canonical column -> SQL over the file's columns, and its DuckDB type; validated
        against the file."""
        source = SOURCES[self.spec.source]
        by_lower = {c.lower(): c for c in self.file_columns}
        expressions: dict[str, str] = {}
        for column in source.columns:
            given = self.spec.columns.get(column.name)
            if given is not None:
                match = by_lower.get(given.lower())
                expressions[column.name] = qi(match) if match else given
            elif column.name.lower() in by_lower:
                expressions[column.name] = qi(by_lower[column.name.lower()])
            elif column.default is not None:
                expressions[column.name] = column.default
            elif column.required:
                raise MappingError(
                    f"{self.display}: no column for required '{column.name}' "
                    f"({self.spec.label}). Map it in sources.yml, e.g. "
                    f"`columns: {{{column.name}: <your column>}}`. "
                    f"The file has: {', '.join(self.file_columns) or '(no columns)'}."
                )
            else:
                expressions[column.name] = "null"
        if source.one_of and not any(
            c in self.spec.columns or c in by_lower for c in source.one_of
        ):
            raise MappingError(
                f"{self.display}: map one of {' or '.join(source.one_of)} ({self.spec.label}). "
                f"The file has: {', '.join(self.file_columns)}."
            )
        types = {name: self._check_expression(name, sql) for name, sql in expressions.items()}
        if self.spec.filter:
            self._check_expression("filter", self.spec.filter)
        return expressions, types

    def _check_expression(self, name: str, sql: str) -> str:
        """The DuckDB type of a mapped expression; a MappingError if it does not fit the file."""
        try:
            described = self.con.execute(
                f"describe select {sql} as _value from ({self._with_pseudo(self._shape_sql())})"
            ).fetchall()
            return described[0][1]
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            raise MappingError(
                f"{self.display}: mapping `{name}: {self.spec.columns.get(name, sql)}` "
                f"({self.spec.label}) does not fit the file: {first_line}. "
                f"The file has: {', '.join(self.file_columns)}."
            ) from None

    def _with_pseudo(self, scan: str) -> str:
        file_name = ql(os.path.basename(self.path))
        return (
            f"select row_number() over () as _line_number, {file_name} as _file_name, * from {scan}"
        )

    # -- loading ----------------------------------------------------------------------
    def _read_rows(self, src: str) -> str:
        """Create temp table `src` with the file's rows; the SQL giving each its line number."""
        con, name = self.con, ql(os.path.basename(self.path))
        select = f"select row_number() over () as _row_index, {name} as _file_name, *"
        if self.spec.format == "parquet":
            con.execute(f"create or replace temp table {src} as {select} from {self._scan_sql()}")
            return "_row_index"
        if self.spec.format == "jsonl":
            return self._read_json_lines(src, select)
        o = self.spec.csv
        if reading.duckdb_encoding(self.read_path, o):
            con.execute(
                f"create or replace temp table {src} as {select} from {self._declared_csv_sql()}"
            )
            rejected = con.execute(f"select count(*) from rejects_{self.tag}").fetchone()[0]
            con.execute(f"drop table rejects_{self.tag}; drop table rejects_scan_{self.tag}")
            rows = con.execute(f"select count(*) from {src}").fetchone()[0]
            before_data = o.skip_lines + (1 if o.header else 0)
            if not rejected and rows + before_data == reading.count_lines(self.read_path):
                return f"_row_index + {before_data}"  # every line became exactly one row
        split = reading.split(
            self.read_path, o, len(self.file_columns), self._temp_file("clean", "lines.csv")
        )
        self._check_split(split)
        self.rejected = split.rejected
        con.execute(
            f"create or replace temp table {src} as {select} "
            f"from {self._clean_csv_sql(split.clean_path)}"
        )
        return qi(reading.LINE_COLUMN)

    def _read_json_lines(self, src: str, select: str) -> str:
        """JSON lines as DuckDB reads them when each line became one row; else split here,
        so a line with a bad byte is quarantined alone and the others keep their numbers."""
        con = self.con
        con.execute(f"create or replace temp table {src} as {select} from {self._scan_sql(True)}")
        rejected = con.execute(f"select count(*) from rejects_{self.tag}").fetchone()[0]
        con.execute(f"drop table rejects_{self.tag}; drop table rejects_scan_{self.tag}")
        rows = con.execute(f"select count(*) from {src}").fetchone()[0]
        if "://" in self.read_path or (
            not rejected and rows == reading.count_lines(self.read_path)
        ):
            return "_row_index"
        split = reading.split_lines(self.read_path, self._temp_file("clean", "lines.csv"))
        self.rejected, self.lines_file = split.rejected, split.clean_path
        con.execute(f"create or replace temp table {src} as {select} from {self._scan_sql()}")
        return qi(reading.LINE_COLUMN)

    def _check_split(self, split: reading.SplitFile) -> None:
        """A wholly wrong file stops the load with what to change in the mapping."""
        o, rejected = self.spec.csv, split.rejected
        total = split.records + len(rejected)
        bad_encoding = sum(r.reason == reading.BAD_ENCODING for r in rejected)
        if bad_encoding >= 2 and bad_encoding * 2 > total:
            raise MappingError(
                f"{self.display}: {bad_encoding} of {total} lines are not valid {o.encoding}. "
                "If the file comes from Excel or a Windows till, set "
                f"`csv: {{encoding: cp1252}}` for {self.spec.label} in sources.yml."
            )
        if total and not split.records and not bad_encoding:
            raise MappingError(
                f"{self.display}: none of its {total} lines reads as {len(self.file_columns)} "
                f"columns with delimiter {o.delimiter!r} and quote {o.quote!r} (first line "
                f"{rejected[0].line}: {rejected[0].reason}). Check `csv: {{delimiter, quote, "
                f"header}}` for {self.spec.label} in sources.yml."
            )

    def load_into(self, source: Source, result: FileLoad) -> None:
        con = self.con
        src, batch = f"src_{self.tag}", f"batch_{self.tag}"
        line_number = self._read_rows(src)
        con.execute(
            f"create or replace temp table {batch} as {self._batch_sql(source, src, line_number)}"
        )
        self._quarantine(batch, src, result.file_hash)
        counts = con.execute(
            f"""
            select count(*) filter (where not _keep),
                   count(*) filter (where _keep and _reason is not null),
                   count(*) filter (where _keep and _reason is null and _dup_rank > 1),
                   count(*) filter (where _keep and _reason is null and _dup_rank = 1)
            from {batch}
            """
        ).fetchone()
        result.rows_filtered, quarantined, result.rows_duplicate, result.rows_loaded = counts
        result.rows_quarantined = quarantined + len(self.rejected)
        result.rows_read = sum(counts) + len(self.rejected)
        good = f"(select * from {batch} where _keep and _reason is null and _dup_rank = 1)"
        same_key = " and ".join(f"r.{qi(k)} = g.{qi(k)}" for k in source.key)
        # The latest file's version of a key wins over the version another file brought.
        result.rows_replaced = con.execute(
            f"select count(*) from raw.{source.name} r where exists "
            f"(select 1 from {good} g where {same_key})"
        ).fetchone()[0]
        if result.rows_replaced:
            con.execute(f"delete from raw.{source.name} r using {good} g where {same_key}")
        canonical = ", ".join(qi(c.name) for c in source.columns)
        con.execute(
            f"insert into raw.{source.name} select {canonical}, {ql(self.display)}, _line_number, "
            f"{ql(result.file_hash)}, now()::timestamp from {good}"
        )
        con.execute(f"drop table {src}; drop table {batch}")

    def _batch_sql(self, source: Source, src: str, line_number: str) -> str:
        """Map, type and check every row; rank duplicates of the natural key (last line wins)."""
        mapped = ", ".join(
            f"({sql}) as {qi('m__' + name)}" for name, sql in self.expressions.items()
        )
        keep = f"coalesce(({self.spec.filter}), false)" if self.spec.filter else "true"
        typed, reasons = [], []
        for column in source.columns:
            value, column_reasons = convert(
                column, qi("m__" + column.name), self.spec, self.types[column.name], self.window
            )
            typed.append(f"{value} as {qi(column.name)}")
            reasons += column_reasons
        if source.one_of:
            missing = " and ".join(f"{qi('m__' + c)} is null" for c in source.one_of)
            reasons.append(f"case when {missing} then 'missing {' and '.join(source.one_of)}' end")
        reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')"
        extra = ""
        if self.spec.format == "jsonl":
            # A line that is not JSON gets that one reason, not one per missing column.
            reason = f"case when not _is_json then 'not valid JSON' else {reason} end"
            extra = "_is_json, "
        keys = ", ".join(qi(k) for k in source.key)
        # Rules across columns read the typed values, so they run on the typed rows.
        row_reasons = "".join(
            f", case when {check.condition} then {ql(check.reason)} end"
            for check in source.row_checks
        )
        return f"""
            with lines as (
                select *, {line_number} as _line_number from {src}
            ), mapped as (
                select _row_index, _line_number, {keep} as _keep, {extra}{mapped}
                from lines
            ), typed as (
                select _row_index, _line_number, _keep, {", ".join(typed)}, {reason} as _reason
                from mapped
            ), checked as (
                select * replace (nullif(concat_ws('; ', _reason{row_reasons}), '') as _reason)
                from typed
            )
            select *, case when _keep and _reason is null then row_number() over (
                partition by _keep and _reason is null, {keys} order by _line_number desc
            ) end as _dup_rank
            from checked
        """

    def _raw_text_sql(self, alias: str) -> str:
        """The row as the file had it (rebuilt from its columns for CSV and Parquet)."""
        if self.spec.format == "jsonl":
            return f"{alias}._raw_line"
        if self.spec.format == "parquet":
            cols = ", ".join(f"{ql(c)}: {alias}.{qi(c)}" for c in self.file_columns)
            return f"to_json({{{cols}}})::varchar"
        parts = ", ".join(f"coalesce({alias}.{qi(c)}, '')" for c in self.file_columns)
        return f"concat_ws({ql(self.spec.csv.delimiter)}, {parts})"

    def _quarantine(self, batch: str, src: str, digest: str) -> None:
        if self.rejected:
            lines = pandas.DataFrame(
                {
                    "line_number": [r.line for r in self.rejected],
                    "raw_text": [r.raw_text for r in self.rejected],
                    "reason": [r.reason for r in self.rejected],
                }
            )
            self.con.register(f"rejected_{self.tag}", lines)
            self.con.execute(
                f"insert into raw.quarantine select {ql(self.spec.source)}, {ql(self.display)}, "
                f"line_number, raw_text, reason, {ql(digest)}, now()::timestamp "
                f"from rejected_{self.tag}"
            )
            self.con.unregister(f"rejected_{self.tag}")
        # Raw text only for the rejected rows: rebuilding it for every row costs a third of
        # the typing step.
        self.con.execute(
            f"insert into raw.quarantine select {ql(self.spec.source)}, {ql(self.display)}, "
            f"b._line_number, {self._raw_text_sql('s')}, b._reason, {ql(digest)}, "
            f"now()::timestamp from {batch} b join {src} s using (_row_index) "
            "where b._keep and b._reason is not null"
        )

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)
