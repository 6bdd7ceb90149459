"""The SQL that turns a file's scanned rows into typed, checked and ranked rows, in one
query over the scan (nothing is materialised before it).

Each row gets its canonical columns typed (`values.convert`), `_keep` (the mapping's
filter), `_reason` (every reason to quarantine it, or null), `_raw_text` (the row as the
file had it, only for quarantined rows: rebuilding it for every row would cost a third of
the typing). Duplicates of the natural key are found after, among the staged good rows
(`file_stage`): ranking every row here would sort the whole file for the rare repeat.
"""

from __future__ import annotations

from .canonical import Source
from .landing_scan import LandingFile, Scan
from .mapping_sql import MappedColumns
from .values import DateWindow, convert
from .warehouse import quote_ident as qi
from .warehouse import quote_literal as ql

RAW = "f__"  # prefix of the file's own columns carried along for `_raw_text`
MAPPED = "m__"  # prefix of the mapped (untyped) canonical values


def typed_rows_sql(
    source: Source,
    landing: LandingFile,
    scan: Scan,
    mapped: MappedColumns,
    window: DateWindow,
) -> str:
    """Map, type and check every row of `scan`."""
    spec = landing.spec
    expressions = ", ".join(
        f"({sql}) as {qi(MAPPED + name)}" for name, sql in mapped.expressions.items()
    )
    carried = ", ".join(qi(RAW + c) for c in landing.raw_columns)
    carry = ", ".join(f"{qi(c)} as {qi(RAW + c)}" for c in landing.raw_columns)
    keep = f"coalesce(({spec.filter}), false)" if spec.filter else "true"
    typed, reasons = [], []
    for column in source.columns:
        value, column_reasons = convert(
            column, qi(MAPPED + column.name), spec, mapped.types[column.name], window
        )
        typed.append(f"{value} as {qi(column.name)}")
        reasons += column_reasons
    if source.one_of:
        missing = " and ".join(f"{qi(MAPPED + c)} is null" for c in source.one_of)
        reasons.append(f"case when {missing} then 'missing {' and '.join(source.one_of)}' end")
    reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')"
    extra = ""
    if spec.format == "jsonl":
        # A line that is not JSON gets that one reason, not one per missing column.
        reason = f"case when not _is_json then 'not valid JSON' else {reason} end"
        extra = "_is_json, "
    # Rules across columns read the typed values, so they run on the typed rows.
    row_reasons = "".join(
        f", case when {check.condition} then {ql(check.reason)} end" for check in source.row_checks
    )
    canonical = ", ".join(qi(c.name) for c in source.columns)
    return f"""
        with lines as (
            select *, {scan.line_number} as _line_number from {scan.sql}
        ), mapped as (
            select _line_number, {keep} as _keep, {extra}{expressions}, {carry}
            from lines
        ), typed as (
            select _line_number, _keep, {", ".join(typed)}, {reason} as _reason, {carried}
            from mapped
        ), checked as (
            select * replace (nullif(concat_ws('; ', _reason{row_reasons}), '') as _reason)
            from typed
        )
        select _line_number, _keep, {canonical}, _reason,
            case when _keep and _reason is not null
                then {landing.raw_text(RAW)} end as _raw_text
        from checked
    """
