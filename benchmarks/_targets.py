"""The performance targets as a table: what, time, peak memory, baseline, ratio, target,
pass/fail, one line per limit measured in the same run.

A benchmark states its target on the `Comparison` it returns; `python -m benchmarks` prints
the lines of every benchmark's targets in one table at the end (`summary_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._measure import Comparison, size


@dataclass(frozen=True)
class Target:
    """Ours within `time_ratio` of the baseline's time and `memory_ratio` of its peak, and
    at most `peak_bytes` of memory; a limit set to None is not a target."""

    time_ratio: float | None = 1.5
    memory_ratio: float | None = 1.5
    peak_bytes: int | None = None


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def target_rows(what: str, comparison: Comparison, target: Target) -> list[list[str]]:
    ours, base = comparison.ours, comparison.baseline
    measured = [f"{ours.seconds:.2f} s", size(ours.peak_bytes)]
    rows = []
    if target.time_ratio is not None:
        ratio = ours.seconds / base.seconds
        limit = f"<= {target.time_ratio:g}x"
        rows.append([f"{what}: time", *measured, f"{base.seconds:.2f} s", f"{ratio:.2f}x"])
        rows[-1] += [limit, _verdict(ratio <= target.time_ratio)]
    if target.memory_ratio is not None:
        ratio = ours.peak_bytes / base.peak_bytes
        limit = f"<= {target.memory_ratio:g}x"
        rows.append([f"{what}: peak memory", *measured, size(base.peak_bytes), f"{ratio:.2f}x"])
        rows[-1] += [limit, _verdict(ratio <= target.memory_ratio)]
    if target.peak_bytes is not None:
        limit = f"<= {size(target.peak_bytes)}"
        rows.append([f"{what}: peak memory", *measured, "-", "-", limit])
        rows[-1].append(_verdict(ours.peak_bytes <= target.peak_bytes))
    return rows


def summary_rows(comparisons: Iterable[Comparison]) -> list[list[str]]:
    """The lines of every comparison that has a target, in the order they were measured."""
    return [
        row
        for comparison in comparisons
        if comparison.target is not None
        for row in target_rows(comparison.benchmark, comparison, comparison.target)
    ]


def print_table(rows: list[list[str]]) -> None:
    header = ["what", "time", "peak memory", "baseline", "ratio", "target", "pass/fail"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in rest]
        print("  " + "  ".join(cells), flush=True)
