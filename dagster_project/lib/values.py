"""Typing and checking one mapped value: the SQL that types it, and the SQL of each reason
to quarantine its row.

A value is accepted only in a declared format (when several are declared, any of them;
no silent fallback parse), dated inside a plausible window, and, for keys and ids, free
of control characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .canonical import Column
from .sources import InputSpec
from .warehouse import quote_literal as ql

TRUE_WORDS = ("true", "t", "yes", "y", "1", "oui", "o", "vrai")
FALSE_WORDS = ("false", "f", "no", "n", "0", "non", "faux")
# DuckDB types a mapped expression may already have (Parquet columns): no parsing needed.
_TEMPORAL_TYPES = ("TIMESTAMP", "DATE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")
_CONTROL_CHARACTERS = "[\\x00-\\x1f\\x7f]"


@dataclass(frozen=True)
class DateWindow:
    """Dates outside [earliest, latest] are implausible (year 0, a date decades ahead)."""

    earliest: date
    latest: date


def convert(
    column: Column, value: str, spec: InputSpec, source_type: str, window: DateWindow
) -> tuple[str, list[str]]:
    """SQL typing one mapped value (`source_type`: its DuckDB type), and the SQL of each
    reason to reject it."""
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
        typed = _temporal(column, value, text, spec, source_type)
    elif column.type == "boolean":
        typed = (
            f"case when lower({text}) in ({', '.join(map(ql, TRUE_WORDS))}) then true "
            f"when lower({text}) in ({', '.join(map(ql, FALSE_WORDS))}) then false end"
        )
    else:  # pragma: no cover - the contract only uses the types above
        raise ValueError(column.type)

    reasons = []
    if column.required:
        reasons.append(f"case when {text} is null then 'missing {name}' end")
    if column.is_identifier:
        reasons.append(
            f"case when regexp_matches({text}, {ql(_CONTROL_CHARACTERS)}) "
            f"then 'control character in {name} ''' || {_printable(text)} || '''' end"
        )
    if column.type != "varchar":
        reasons.append(
            f"case when {text} is not null and {typed} is null "
            f"then 'unparsable {name} ''' || {text} || '''' end"
        )
    if column.type in ("timestamp", "date"):
        latest = window.latest if not column.future_allowed else date(9999, 12, 31)
        reasons.append(
            f"case when {typed} < date {ql(window.earliest.isoformat())} "
            f"then 'implausible {name} ''' || {text} || ''' (before {window.earliest})' "
            f"when {typed} >= date {ql(latest.isoformat())} + interval 1 day "
            f"then 'implausible {name} ''' || {text} || ''' (after {latest})' end"
        )
    if column.accepted:
        allowed = column.accepted + tuple(v.lower() for v in spec.accepted_values.get(name, ()))
        reasons.append(
            f"case when {typed} not in ({', '.join(map(ql, allowed))}) "
            f"then 'unknown {name} ''' || {text} || '''' end"
        )
    if column.non_negative:
        reasons.append(f"case when {typed} < 0 then 'negative {name}' end")
    if column.positive:
        reasons.append(f"case when {typed} <= 0 then '{name} not positive' end")
    return typed, reasons


def _temporal(column: Column, value: str, text: str, spec: InputSpec, source_type: str) -> str:
    """A date or timestamp in a declared format only; a timestamp column also takes the
    declared date formats (a date alone is midnight), then moves to UTC."""
    kind = column.type
    if source_type.upper() in _TEMPORAL_TYPES:
        typed = f"cast({value} as {kind})"
    elif source_type.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        return f"cast(timezone('UTC', {value}) as {kind})"
    else:
        formats = spec.date_formats
        if kind == "timestamp":
            formats = spec.timestamp_formats + spec.date_formats
        if formats:
            listed = "[" + ", ".join(ql(f) for f in formats) + "]"
            typed = f"cast(try_strptime({text}, {listed}) as {kind})"
        else:
            typed = f"try_cast({text} as {kind})"
    if kind == "timestamp" and spec.timezone.upper() != "UTC":
        typed = f"timezone('UTC', timezone({ql(spec.timezone)}, {typed}))"
    return typed


def _printable(text: str) -> str:
    """The value with each control character shown as \\xNN, for the reason."""
    return f"regexp_replace(replace({text}, chr(0), '\\x00'), {ql(_CONTROL_CHARACTERS)}, '?', 'g')"
