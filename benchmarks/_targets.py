"""The issue's targets as a table: what, time, peak memory, baseline, ratio, target,
pass/fail, one line per ratio measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass

from ._measure import Comparison, size


@dataclass(frozen=True)
class Target:
    """Ours within `time_ratio` of the baseline's time and `memory_ratio` of its peak."""

    time_ratio: float = 1.5
    memory_ratio: float = 1.5


def target_rows(what: str, comparison: Comparison, target: Target) -> list[list[str]]:
    ours, base = comparison.ours, comparison.baseline
    time_ratio = ours.seconds / base.seconds
    memory_ratio = ours.peak_bytes / base.peak_bytes
    return [
        [
            f"{what}: time",
            f"{ours.seconds:.2f} s",
            size(ours.peak_bytes),
            f"{base.seconds:.2f} s",
            f"{time_ratio:.2f}x",
            f"<= {target.time_ratio:g}x",
            "pass" if time_ratio <= target.time_ratio else "FAIL",
        ],
        [
            f"{what}: peak memory",
            f"{ours.seconds:.2f} s",
            size(ours.peak_bytes),
            size(base.peak_bytes),
            f"{memory_ratio:.2f}x",
            f"<= {target.memory_ratio:g}x",
            "pass" if memory_ratio <= target.memory_ratio else "FAIL",
        ],
    ]


def print_table(rows: list[list[str]]) -> None:
    header = ["what", "time", "peak memory", "baseline", "ratio", "target", "pass/fail"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in rest]
        print("  " + "  ".join(cells), flush=True)
