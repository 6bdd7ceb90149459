"""Timing and peak memory of one step, run alone in a fresh process.

Each measured step runs in a new `spawn`ed process, so its peak resident memory is its own,
not the parent's nor an earlier step's. The peak is the largest of the process's own high
water mark (`VmHWM`: `ru_maxrss` would not do, Linux carries it over from the parent
through fork and exec), the `ru_maxrss` of the processes it ran (e.g. `dbt`), and the
resident memory of the whole process tree (it and every descendant at once: a CLI run and
the dbt it starts), sampled every quarter second.
Wall time covers the step's function only, not the process start or its imports.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from ._targets import Target

GiB = 1024**3


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar on long queries: it would fill the benchmark's output."""
    con.execute("set enable_progress_bar = false")
    return con


@dataclass
class Measurement:
    """A step's time and peak memory (0: a part of a measured step, with no peak of its own)."""

    label: str
    seconds: float
    peak_bytes: int
    rows: int
    result: Any = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    def line(self) -> str:
        return (
            f"  {self.label:<34} {self.seconds:9.2f} s  {rate(self.rows_per_second):>14}"
            f"  peak {size(self.peak_bytes):>9}"
        )


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants now (0 for a process just gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * resource.getpagesize()
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += map(int, children.read().split())
        except (OSError, ValueError):
            continue
    return total


class _TreeSampler(threading.Thread):
    """The largest resident memory of this process's tree, sampled until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._done = 0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.25):
            self.peak = max(self.peak, _tree_rss(os.getpid()))

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def _timed(fn: Callable[..., Any], args: tuple) -> tuple[Any, float, int]:
    sampler = _TreeSampler()
    sampler.start()
    start = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - start
    tree = sampler.stop()
    with open("/proc/self/status") as status:
        own_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return result, seconds, max(own_kib * 1024, children_kib * 1024, tree)


def measure(label: str, rows: int, fn: Callable[..., Any], *args: Any) -> Measurement:
    """Run `fn(*args)` in a fresh process; print and return its time and peak memory.

    `fn` must be a module-level function and its arguments and result picklable.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result, seconds, peak = pool.submit(_timed, fn, args).result()
    measurement = Measurement(label, seconds, peak, rows, result)
    print(measurement.line(), flush=True)
    return measurement


@dataclass
class Comparison:
    """One line of the final summary: ours against the baseline of the same run; with a
    target, its lines in the final table of targets."""

    benchmark: str
    ours: Measurement
    baseline: Measurement
    note: str = ""
    target: Target | None = None

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.baseline.seconds


def print_ratio(comparison: Comparison) -> None:
    memory = comparison.ours.peak_bytes / comparison.baseline.peak_bytes
    note = f" ({comparison.note})" if comparison.note else ""
    print(
        f"  => {comparison.ratio:.2f}x the time and {memory:.2f}x the peak memory "
        f"of the baseline{note}",
        flush=True,
    )


def timed(label: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run a preparation step in this process and print how long it took (not measured)."""
    start = time.perf_counter()
    result = fn(*args)
    print(f"  {label:<34} {time.perf_counter() - start:9.2f} s", flush=True)
    return result


def rate(rows_per_second: float) -> str:
    return f"{rows_per_second / 1e6:.2f} M rows/s"


def size(n_bytes: float) -> str:
    if not n_bytes:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n_bytes < 1024 or unit == "GiB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    raise AssertionError  # pragma: no cover


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(base * scale))
