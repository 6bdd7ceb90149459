"""`python -m benchmarks [--scale S] [--only NAME] [--work-dir DIR] [--keep]`.

NAME: ingestion, scoring, incremental, refresh, prediction or runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

from . import incremental, ingestion, prediction, refresh, runs, scoring
from ._measure import Comparison, rate, size
from ._targets import print_table, summary_rows

# In this order: prediction reads the warehouse the scoring benchmark built, before
# incremental adds files to it (scoring.built_warehouse_dir).
BENCHMARKS = {
    "ingestion": ingestion.run,
    "scoring": scoring.run,
    "prediction": prediction.run,
    "incremental": incremental.run,
    "refresh": refresh.run,
    "runs": runs.run,
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="multiply every data size (default: $BENCH_SCALE or 1 = full size)",
    )
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run one benchmark")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=PROJECT_ROOT / "bench-data",
        help="scratch directory for generated data (default: bench-data/)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch data")
    arguments = parser.parse_args()
    if arguments.scale <= 0:
        parser.error("--scale must be positive")
    return arguments


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _summary(comparisons: list[Comparison]) -> None:
    print("\n== Summary (ratio = ours / baseline, same run, same machine)")
    header = f"{'benchmark':<22}{'ours':>10}{'baseline':>10}{'ratio':>8}"
    print(f"{header}{'ours rows/s':>18}{'ours peak':>11}{'base peak':>11}")
    for c in comparisons:
        print(
            f"{c.benchmark:<22}{c.ours.seconds:>9.1f}s{c.baseline.seconds:>9.1f}s"
            f"{c.ratio:>7.2f}x{rate(c.ours.rows_per_second):>18}"
            f"{size(c.ours.peak_bytes):>11}{size(c.baseline.peak_bytes):>11}"
        )


def main() -> None:
    arguments = _arguments()
    work_dir = arguments.work_dir.expanduser().resolve()
    if work_dir.exists() and any(work_dir.iterdir()):
        raise SystemExit(f"{work_dir} is not empty: remove it or choose another --work-dir.")
    print(f"scale {arguments.scale:g}, scratch data in {work_dir}, {_load()}")
    comparisons: list[Comparison] = []
    try:
        for name, run in BENCHMARKS.items():
            if arguments.only in (None, name):
                (work_dir / name).mkdir(parents=True)
                comparisons += run(work_dir / name, arguments.scale)
                if not arguments.keep:  # free the disk before the next benchmark
                    shutil.rmtree(work_dir / name)
    finally:
        if not arguments.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    _summary(comparisons)
    print(f"\n== Targets (scale {arguments.scale:g}; ratio = ours / baseline, same run)")
    print_table(summary_rows(comparisons))
    print(f"(timings are only comparable on an otherwise idle machine: {_load()})")


if __name__ == "__main__":
    main()
