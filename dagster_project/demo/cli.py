"""The command line of the demo generator (`python -m dagster_project.demo`): writes the
landing files and prints one line of counts per source, so a user sees what was made."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from .contract import SOURCES
from .generator import generate
from .landing import GenerationReport


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.demo",
        description="Write deterministic demo CSVs for the landing sources.",
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="landing directory to write")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day with data, YYYY-MM-DD (default: yesterday)",
    )
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--dirty-rate", type=float, default=0.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> GenerationReport:
    args = _parse_args(argv)
    end_date = args.end_date or date.today() - timedelta(days=1)
    report = generate(
        args.out,
        customers=args.customers,
        seed=args.seed,
        end_date=end_date,
        days=args.days,
        dirty_rate=args.dirty_rate,
    )
    for source in SOURCES:
        faults = sum(report.faults[source].values())
        print(
            f"{source:<18} rows={report.rows[source]:>8} clean={report.clean_rows[source]:>8}"
            f" faults={faults:>5} files={len(report.files[source])}"
        )
    return report
