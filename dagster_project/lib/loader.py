"""Loading landing files into the warehouse's `raw` schema without losing a row.

For every file: read = loaded + quarantined + duplicates + filtered. Malformed rows go
to `raw.quarantine` with file, line, raw text and reason; a load manifest keyed by file
content makes reruns load nothing twice; each source loads in one transaction, so a
crash leaves the raw tables as they were.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .canonical import LINEAGE_COLUMNS, SOURCES, SQL_TYPES, Column, Source
from .sources import NATIVE_ENCODINGS, InputSpec, MappingError, SourceConfig
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql

_TRUE = ("true", "t", "yes", "y", "1", "oui", "o", "vrai")
_FALSE = ("false", "f", "no", "n", "0", "non", "faux")
_REJECT_REASONS = {
    "INVALID ENCODING": "bad encoding: bytes that are not valid in the declared encoding",
    "MISSING COLUMNS": "wrong number of columns (too few)",
    "TOO MANY COLUMNS": "wrong number of columns (too many)",
    "UNQUOTED VALUE": "malformed quoting",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


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


def load_source(
    con: duckdb.DuckDBPyConnection, config: SourceConfig | None, data_root: Path, name: str
) -> SourceLoad:
    """Load every new or changed file of one source, atomically."""
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
        reader = _Reader(con, spec, path, display, data_root)  # validates mapping vs file
        plans.append((display, FileLoad(display, digest, status), reader))
        result.files.append(plans[-1][1])  # counts are filled in when it loads

    listed = {_display(p, data_root) for _, p in files}
    gone = [p for p in known if p not in listed]
    removed = [p for p in gone if known[p][1]]  # newly gone since the last load
    prune = bool(config and config.prune_removed_files)
    con.execute("begin transaction")
    try:
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
    ) -> None:
        self.con, self.spec, self.path, self.display = con, spec, path, display
        self.tag = hashlib.md5(display.encode()).hexdigest()[:10]
        self.temp_files: list[Path] = []
        self.read_path = self._transcoded(data_root) if spec.format == "csv" else path
        self.file_columns = self._probe_columns()
        self.expressions = self._mapping()

    # -- reading ----------------------------------------------------------------------
    def _transcoded(self, data_root: Path) -> str:
        """DuckDB reads utf-8 and latin-1 itself; other encodings are converted first."""
        encoding = codecs.lookup(self.spec.csv.encoding).name
        if encoding in {codecs.lookup(e).name for e in NATIVE_ENCODINGS}:
            return self.path
        target = data_root / "tmp" / f"{self.tag}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if self.path.endswith(".gz") else open
        with opener(self.path, "rb") as source, open(target, "w", encoding="utf-8") as out:
            for number, line in enumerate(source, start=1):
                try:
                    out.write(line.decode(encoding))
                except UnicodeDecodeError as exc:
                    raise MappingError(
                        f"{self.display} line {number}: byte {line[exc.start : exc.start + 1]!r} "
                        f"is not valid {self.spec.csv.encoding}. Check `csv.encoding` for "
                        f"{self.spec.label} in sources.yml."
                    ) from None
        self.temp_files.append(target)
        return str(target)

    def _lines_sql(self) -> str:
        """A JSON-lines file as one text column per line, so a malformed line is kept."""
        return (
            f"read_csv({ql(self.read_path)}, columns={{'_raw_line': 'VARCHAR'}}, header=false, "
            "delim='\\x1f', quote='', escape='', auto_detect=false)"
        )

    def _scan_sql(self, with_rejects: bool) -> str:
        """The rows of the file, one text column per file column (parquet keeps its types)."""
        if self.spec.format == "parquet":
            return f"read_parquet({ql(self.read_path)})"
        if self.spec.format == "jsonl":
            keys = "".join(
                f", json_extract_string(_doc, {ql('$.' + qi(k))}) as {qi(k)}"
                for k in self.file_columns
            )
            return (
                f"(select _raw_line, _doc is not null as _is_json{keys} from (select _raw_line, "
                f"case when json_valid(_raw_line) then _raw_line::json end as _doc "
                f"from {self._lines_sql()}))"
            )
        o = self.spec.csv
        native = self.read_path == self.path
        options = [
            "all_varchar=true",
            f"header={'true' if o.header else 'false'}",
            f"delim={ql(o.delimiter)}",
            f"quote={ql(o.quote)}",
            f"escape={ql(o.escape if o.escape is not None else o.quote)}",
            f"skip={o.skip_lines}",
            f"encoding={ql(o.encoding if native else 'utf-8')}",
        ]
        if not with_rejects:
            options.append("ignore_errors=true")  # probing only: the real scan records them
        else:
            options += [
                "store_rejects=true",
                f"rejects_table='rejects_{self.tag}'",
                f"rejects_scan='rejects_scan_{self.tag}'",
            ]
        return f"read_csv({ql(self.read_path)}, {', '.join(options)})"

    def _check_encoding(self) -> None:
        """Most lines of the file's start undecodable: the declared encoding is wrong."""
        opener = gzip.open if self.path.endswith(".gz") else open
        with opener(self.path, "rb") as handle:
            lines = handle.read(1 << 16).splitlines()[:200]
        bad = []
        for number, line in enumerate(lines, start=1):
            try:
                line.decode(self.spec.csv.encoding)
            except UnicodeDecodeError:
                bad.append(number)
        if bad and (bad[0] == 1 or len(bad) * 2 > len(lines)):
            raise MappingError(
                f"{self.display}: {len(bad)} of the first {len(lines)} lines (line {bad[0]} "
                f"first) are not valid {self.spec.csv.encoding}. If the file comes from Excel "
                f"or a Windows till, set `csv: {{encoding: cp1252}}` for {self.spec.label} "
                "in sources.yml."
            )

    def _probe_columns(self) -> list[str]:
        if self.spec.format == "csv" and "://" not in self.path and self.read_path == self.path:
            self._check_encoding()
        try:
            if self.spec.format == "jsonl":
                rows = self.con.execute(
                    f"select distinct unnest(json_keys(_raw_line)) as k from {self._lines_sql()} "
                    "where json_valid(_raw_line) order by k"
                ).fetchall()
                return [r[0] for r in rows]
            described = self.con.execute(f"describe select * from {self._scan_sql(False)}")
            return [r[0] for r in described.fetchall()]
        except duckdb.Error as exc:
            raise MappingError(f"Cannot read {self.display} as {self.spec.format}: {exc}") from None

    def _mapping(self) -> dict[str, str]:
        """Canonical column -> SQL over the file's columns; validated against the file."""
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
        for name, sql in expressions.items():
            self._check_expression(name, sql)
        if self.spec.filter:
            self._check_expression("filter", self.spec.filter)
        return expressions

    def _check_expression(self, name: str, sql: str) -> None:
        try:
            self.con.execute(
                f"select {sql} from ({self._with_pseudo(self._scan_sql(False))}) limit 0"
            )
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
    def load_into(self, source: Source, result: FileLoad) -> None:
        con = self.con
        src, batch = f"src_{self.tag}", f"batch_{self.tag}"
        con.execute(
            f"create or replace temp table {src} as "
            f"select row_number() over () as _row_index, {ql(os.path.basename(self.path))} "
            f"as _file_name, * from {self._scan_sql(True)}"
        )
        rejects = self._rejected_lines(src)
        con.execute(
            f"create or replace temp table {batch} as {self._batch_sql(source, src, rejects)}"
        )
        self._quarantine(batch, src, rejects, result.file_hash)
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
        result.rows_quarantined = quarantined + len(rejects)
        result.rows_read = sum(counts) + len(rejects)
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

    def _rejected_lines(self, src: str) -> list[tuple[int, str, str]]:
        """Lines DuckDB could not split into columns (CSV only): (line, raw text, reason)."""
        if self.spec.format != "csv":
            return []
        rows = self.con.execute(
            f"select line, any_value(csv_line), string_agg(distinct error_type, ', ') "
            f"from rejects_{self.tag} group by line order by line"
        ).fetchall()
        self.con.execute(
            f"drop table if exists rejects_{self.tag}; drop table if exists rejects_scan_{self.tag}"
        )
        rejects = [(line, text, _reject_reason(kinds)) for line, text, kinds in rows]
        bad_encoding = sum("encoding" in r[2] for r in rejects)
        total = len(rejects) + self.con.execute(f"select count(*) from {src}").fetchone()[0]
        if bad_encoding >= 2 and bad_encoding * 2 > total:
            raise MappingError(
                f"{self.display}: {bad_encoding} of {total} lines are not valid "
                f"{self.spec.csv.encoding}. If the file comes from Excel or a Windows till, set "
                f"`csv: {{encoding: cp1252}}` for {self.spec.label} in sources.yml."
            )
        return rejects

    def _line_numbers_sql(self, src: str, rejects: list[tuple[int, str, str]]) -> str:
        """Map the n-th good row to its line in the file, skipping header and rejected lines."""
        first = (1 if self.spec.csv.header else 0) + self.spec.csv.skip_lines + 1
        if self.spec.format == "parquet":
            return f"select *, _row_index as _line_number from {src}"
        if self.spec.format == "jsonl" or not rejects:
            offset = first - 1 if self.spec.format == "csv" else 0
            return f"select *, _row_index + {offset} as _line_number from {src}"
        rejected = ", ".join(str(r[0]) for r in rejects)
        return f"""
            select s.*, l.line as _line_number from {src} s join (
                select line, row_number() over (order by line) as _row_index
                from range({first}, {first} + (select count(*) from {src}) + {len(rejects)}) t(line)
                where line not in ({rejected})
            ) l using (_row_index)
        """

    def _batch_sql(self, source: Source, src: str, rejects: list[tuple[int, str, str]]) -> str:
        """Map, type and check every row; rank duplicates of the natural key (last line wins)."""
        mapped = ", ".join(
            f"({sql}) as {qi('m__' + name)}" for name, sql in self.expressions.items()
        )
        keep = f"coalesce(({self.spec.filter}), false)" if self.spec.filter else "true"
        typed, reasons = [], []
        for column in source.columns:
            value, column_reasons = _convert(column, qi("m__" + column.name), self.spec)
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
            with mapped as (
                select _row_index, _line_number, {keep} as _keep, {extra}{mapped}
                from ({self._line_numbers_sql(src, rejects)}) s
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

    def _quarantine(
        self, batch: str, src: str, rejects: list[tuple[int, str, str]], digest: str
    ) -> None:
        insert = "insert into raw.quarantine values (?, ?, ?, ?, ?, ?, now()::timestamp)"
        for line, text, reason in rejects:
            self.con.execute(insert, [self.spec.source, self.display, line, text, reason, digest])
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


def _reject_reason(kinds: str) -> str:
    return "; ".join(_REJECT_REASONS.get(k.strip(), k.strip().lower()) for k in kinds.split(","))


def _convert(column: Column, value: str, spec: InputSpec) -> tuple[str, list[str]]:
    """SQL typing one mapped value, and the SQL of each reason to reject it."""
    text = f"nullif(trim(cast({value} as varchar)), '')"
    name = column.name
    if column.type == "varchar":
        typed = f"lower({text})" if column.accepted else text
    elif column.type == "integer":
        typed = f"try_cast({text} as bigint)"
    elif column.type == "decimal":
        number = text
        if spec.csv.thousands:
            number = f"replace({number}, {ql(spec.csv.thousands)}, '')"
        if spec.csv.decimal == ",":
            number = f"replace({number}, ',', '.')"
        typed = f"try_cast({number} as decimal(18, 4))"
    elif column.type in ("timestamp", "date"):
        formats = spec.timestamp_formats if column.type == "timestamp" else spec.date_formats
        iso = f"try_cast({text} as {column.type})"
        if formats:
            fmt_list = "[" + ", ".join(ql(f) for f in formats) + "]"
            typed = f"coalesce(try_strptime({text}, {fmt_list})::{column.type}, {iso})"
        else:
            typed = iso
        if column.type == "timestamp" and spec.timezone.upper() != "UTC":
            typed = f"timezone('UTC', timezone({ql(spec.timezone)}, {typed}))"
    elif column.type == "boolean":
        typed = (
            f"case when lower({text}) in ({', '.join(map(ql, _TRUE))}) then true "
            f"when lower({text}) in ({', '.join(map(ql, _FALSE))}) then false end"
        )
    else:  # pragma: no cover - the contract only uses the types above
        raise ValueError(column.type)

    reasons = []
    if column.required:
        reasons.append(f"case when {text} is null then 'missing {name}' end")
    if column.type != "varchar":
        reasons.append(
            f"case when {text} is not null and {typed} is null "
            f"then 'unparsable {name} ''' || {text} || '''' end"
        )
    if column.accepted:
        allowed = column.accepted + spec.accepted_values.get(name, ())
        reasons.append(
            f"case when {typed} not in ({', '.join(map(ql, allowed))}) "
            f"then 'unknown {name} ''' || {text} || '''' end"
        )
    if column.non_negative:
        reasons.append(f"case when {typed} < 0 then 'negative {name}' end")
    if column.positive:
        reasons.append(f"case when {typed} <= 0 then '{name} not positive' end")
    return typed, reasons
