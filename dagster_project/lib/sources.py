"""Source mappings (`sources.yml`): which files feed each canonical source, and how.

A mapping is validated as a whole before anything is loaded, so a typo is one clear
message naming the file, the source and the column, not a half-finished load.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .canonical import SOURCES

FORMATS = ("csv", "parquet", "jsonl")


@dataclass(frozen=True)
class PlausibleDates:
    """Dates a file may hold: from `earliest`, up to the day of the load + `days_after_load`.

    Not the scoring date: a backfill of an older date legitimately reads files holding
    later orders.
    """

    earliest: date = date(1900, 1, 1)
    days_after_load: int = 1


class MappingError(ValueError):
    """A mistake in sources.yml or a mismatch between it and a file; the message says what to do."""


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    decimal: str = "."
    thousands: str | None = None
    header: bool = True
    quote: str = '"'
    escape: str | None = None
    encoding: str = "utf-8"
    skip_lines: int = 0


@dataclass(frozen=True)
class InputSpec:
    """One input of a source: a glob of files in one format with one column mapping."""

    source: str
    number: int  # 1-based position in the source's `inputs`, for messages
    path: str
    format: str = "csv"
    csv: CsvOptions = field(default_factory=CsvOptions)
    timestamp_formats: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    timezone: str = "UTC"
    columns: dict[str, str] = field(default_factory=dict)
    filter: str | None = None
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plausible_dates: PlausibleDates = field(default_factory=PlausibleDates)

    @property
    def label(self) -> str:
        return f"source '{self.source}', input {self.number} ({self.path})"


@dataclass(frozen=True)
class SourceConfig:
    name: str
    inputs: tuple[InputSpec, ...]
    # A file that disappeared from landing keeps its rows unless this is true.
    prune_removed_files: bool = False


_SOURCE_KEYS = {"inputs", "prune_removed_files"}
_INPUT_KEYS = {
    "path",
    "format",
    "csv",
    "timestamp_format",
    "date_format",
    "timezone",
    "columns",
    "filter",
    "accepted_values",
    "plausible_dates",
}


def load_mapping(path: Path) -> dict[str, SourceConfig]:
    """Read and validate a sources.yml; raise MappingError with an actionable message."""
    if not path.exists():
        raise MappingError(
            f"Source mapping {path} does not exist. Set SCORING_SOURCES to your sources.yml, "
            "or unset it to use the demo mapping."
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise MappingError(f"{path} is not valid YAML: {exc}") from None
    where = str(path)
    sources = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(sources, dict):
        raise MappingError(f"{where}: expected a top-level `sources:` mapping of source names.")
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise MappingError(
            f"{where}: unknown source(s) {', '.join(unknown)}. Known sources: {', '.join(SOURCES)}."
        )
    if "transactions" not in sources:
        raise MappingError(f"{where}: `transactions` is required (RFM needs orders).")
    # publish_personal_data is read by lib/personal_data.py (publication), not here.
    known = {"sources", "plausible_dates", "publish_personal_data"}
    _reject_unknown(where, "the top level", document, known)
    dates = _plausible_dates(where, "`plausible_dates`", document.get("plausible_dates"))
    return {name: _source(where, name, body, dates) for name, body in sources.items()}


def _plausible_dates(
    where: str, label: str, raw: Any, default: PlausibleDates | None = None
) -> PlausibleDates:
    base = default or PlausibleDates()
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: {label} must be a mapping of earliest, days_after_load.")
    _reject_unknown(where, label, raw, {"earliest", "days_after_load"})
    try:
        earliest = raw.get("earliest", base.earliest)
        if not isinstance(earliest, date):
            earliest = date.fromisoformat(str(earliest))
        days = int(raw.get("days_after_load", base.days_after_load))
    except ValueError:
        raise MappingError(
            f"{where}: {label}: `earliest` is a date (YYYY-MM-DD) and `days_after_load` "
            "a whole number of days."
        ) from None
    return replace(base, earliest=earliest, days_after_load=days)


def _source(where: str, name: str, body: Any, dates: PlausibleDates) -> SourceConfig:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or not body["inputs"]:
        raise MappingError(f"{where}: source '{name}' needs a non-empty `inputs:` list.")
    _reject_unknown(where, f"source '{name}'", body, _SOURCE_KEYS)
    inputs = tuple(
        _input(where, name, i, raw, dates) for i, raw in enumerate(body["inputs"], start=1)
    )
    return SourceConfig(name, inputs, bool(body.get("prune_removed_files", False)))


def _input(where: str, source: str, number: int, raw: Any, dates: PlausibleDates) -> InputSpec:
    label = f"source '{source}', input {number}"
    if not isinstance(raw, dict) or not raw.get("path"):
        raise MappingError(f"{where}: {label} needs a `path:` (a file or glob).")
    _reject_unknown(where, label, raw, _INPUT_KEYS)
    fmt = str(raw.get("format") or _guess_format(raw["path"]))
    if fmt not in FORMATS:
        raise MappingError(f"{where}: {label}: format '{fmt}' is not one of {', '.join(FORMATS)}.")
    canonical = SOURCES[source]
    columns = {str(k): str(v) for k, v in (raw.get("columns") or {}).items()}
    unknown_cols = sorted(set(columns) - set(canonical.by_name))
    if unknown_cols:
        raise MappingError(
            f"{where}: {label}: unknown canonical column(s) {', '.join(unknown_cols)} "
            f"in `columns`. Columns of '{source}' are: {', '.join(canonical.by_name)}."
        )
    accepted = {
        str(k): tuple(str(x) for x in v) for k, v in (raw.get("accepted_values") or {}).items()
    }
    bad_accepted = sorted(
        c
        for c in accepted
        if not canonical.by_name.get(c, None) or not canonical.by_name[c].accepted
    )
    if bad_accepted:
        raise MappingError(
            f"{where}: {label}: `accepted_values` only extends columns with a fixed list "
            f"({', '.join(c.name for c in canonical.columns if c.accepted)}), "
            f"not {', '.join(bad_accepted)}."
        )
    return InputSpec(
        source=source,
        number=number,
        path=str(raw["path"]),
        format=fmt,
        csv=_csv_options(where, label, raw.get("csv") or {}),
        timestamp_formats=_as_tuple(raw.get("timestamp_format")),
        date_formats=_as_tuple(raw.get("date_format")),
        timezone=str(raw.get("timezone") or "UTC"),
        columns=columns,
        filter=raw.get("filter"),
        accepted_values=accepted,
        plausible_dates=_plausible_dates(
            where, f"{label} `plausible_dates`", raw.get("plausible_dates"), dates
        ),
    )


def _csv_options(where: str, label: str, raw: dict) -> CsvOptions:
    known = set(CsvOptions.__dataclass_fields__)
    _reject_unknown(where, f"{label} `csv`", raw, known)
    options = CsvOptions(**raw)
    if options.decimal not in (".", ","):
        raise MappingError(f"{where}: {label}: csv decimal must be '.' or ','.")
    try:
        "".encode(options.encoding)
    except LookupError:
        raise MappingError(
            f"{where}: {label}: unknown encoding '{options.encoding}' "
            "(use e.g. utf-8, latin-1, cp1252)."
        ) from None
    return options


def _reject_unknown(where: str, label: str, raw: dict, known: set[str]) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise MappingError(
            f"{where}: {label}: unknown key(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(known))}."
        )


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _guess_format(path: str) -> str:
    lowered = path.lower()
    if lowered.endswith(".parquet"):
        return "parquet"
    if lowered.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return "jsonl"
    return "csv"
