"""Writing the generated rows as landing files, and the report of what was written.

The file format is fixed here for every source (UTF-8, ',' separated, header row, '\\n'
line endings, minimal quoting), so generators only produce rows in the order of
`contract.COLUMNS` and the report's counts come from what actually reached the disk.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .contract import COLUMNS, MONTHLY_SOURCES
from .faults import BAD_BYTE, BAD_BYTE_MARK, FAULT_KINDS, FaultInjector
from .model import Clock, stream


@dataclass
class GenerationReport:
    """What `generate` wrote; `rows == clean_rows + sum(faults)` per source."""

    rows: dict[str, int] = field(default_factory=dict)
    clean_rows: dict[str, int] = field(default_factory=dict)
    faults: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    # Ground truth of the invoices: customer_id -> on_time, late, drifting or write_off.
    payment_behaviour: dict[str, str] = field(default_factory=dict)
    # Per campaign with a control group: customers selected and the true uplift generated.
    campaign_uplift: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _write_csv(path: Path, header: tuple, rows: list, injector: FaultInjector | None) -> int:
    """Write one CSV file; returns the number of data rows written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    if injector is None:
        writer.writerows(rows)
        written = len(rows)
    else:
        written = 0
        for row in rows:
            out = injector.apply(row)
            writer.writerows(out)
            written += len(out)
    data = buffer.getvalue().encode("utf-8")
    if injector is not None:
        data = data.replace(BAD_BYTE_MARK.encode("utf-8"), BAD_BYTE)
    path.write_bytes(data)
    return written


def by_month(keyed_rows: list[tuple[int, list[str]]], clock: Clock) -> dict[str, list]:
    """Rows per calendar month; an empty source still gets its last month (header only)."""
    months: dict[str, list] = {} if keyed_rows else {clock.month(clock.end_ts): []}
    for ts, row in keyed_rows:
        months.setdefault(clock.month(ts), []).append(row)
    return months


def write_source(
    out_dir: Path,
    source: str,
    files: dict[str, list],
    dirty_rate: float,
    seed: int,
    report: GenerationReport,
) -> None:
    """Write `files` (file name: rows) under `out_dir/source` and record them in `report`."""
    folder = out_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    if source in MONTHLY_SOURCES:  # drop months left by an earlier run with other dates
        for stale in folder.glob(f"{source}_????-??.csv"):
            stale.unlink()
    injector = None
    if dirty_rate > 0 and source in FAULT_KINDS:
        injector = FaultInjector(source, dirty_rate, stream(seed, f"faults:{source}"))
    rows, paths = 0, []
    for name in sorted(files):
        rows += _write_csv(folder / name, COLUMNS[source], files[name], injector)
        paths.append(f"{source}/{name}")
    faults = dict(injector.counts) if injector else {}
    report.rows[source] = rows
    report.clean_rows[source] = rows - sum(faults.values())
    report.faults[source] = faults
    report.files[source] = paths
