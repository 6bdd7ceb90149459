"""`python -m dagster_project run` on history before 2020, and the message of a run whose
orders were all quarantined: the first line names the quarantine, not its symptoms."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
from test_cli import run_cli

FIRST_ORDER = date(1997, 1, 1)
SCORING_DATE = date(1998, 7, 1)
MAPPING = """\
sources:
  transactions:
    inputs:
      - path: landing/cdnow/*.txt
        csv: {delimiter: ";"}
        date_format: "%d/%m/%Y"
        columns: {customer_ref: customer, order_ts: date, quantity: qty, line_amount: amount}
"""


def orders() -> dict[str, list[date]]:
    """30 customers buying every 30 + n days from early 1997 to the end of June 1998."""
    dates: dict[str, list[date]] = {}
    for n in range(1, 31):
        day, bought = FIRST_ORDER + timedelta(days=n * 7), []
        while day < SCORING_DATE:
            bought.append(day)
            day += timedelta(days=30 + n)
        dates[f"c{n:03d}"] = bought
    dates["c001"].append(date(1998, 6, 30))  # freshness: the latest order is the day before
    return dates


def write_orders(data_dir: Path, date_format: str) -> int:
    lines = ["customer;date;qty;amount"] + [
        f"{customer};{day.strftime(date_format)};1;{10 + n % 7}.50"
        for customer, days in orders().items()
        for n, day in enumerate(days)
    ]
    path = data_dir / "landing/cdnow/orders.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def test_1998_history_scores_and_a_fully_quarantined_file_is_named_first(tmp_path: Path) -> None:
    mapping = tmp_path / "sources.yml"
    mapping.write_text(MAPPING)
    # An export in another date format than declared: every line is quarantined.
    lines = write_orders(tmp_path, "%Y-%m-%d")
    failed = run_cli(tmp_path, "--scoring-date", "1998-07-01", SCORING_SOURCES=str(mapping))

    assert failed.returncode == 1
    first = failed.stderr.strip().splitlines()[0]
    assert first.startswith(
        f"The run failed: 100.0% of the transactions rows were quarantined ({lines} of {lines}; "
        f"limits 5% of a source, 50% of a file) in landing/cdnow/orders.txt ({lines} of {lines}); "
        "top reasons: "
        f"unparsable order_ts ({lines}, e.g. '1997-01-08')."
    ), failed.stderr
    assert "Traceback" not in failed.stderr and "failed: None" not in failed.stderr
    assert "The published tables were not changed." in failed.stderr
    assert not (tmp_path / "published/segments.duckdb").exists()

    # The export in the declared format: 1998 is scored like any other date.
    write_orders(tmp_path, "%d/%m/%Y")
    # Guests keep their ids in the published file only with personal data published.
    done = run_cli(
        tmp_path,
        "--scoring-date",
        "1998-07-01",
        SCORING_SOURCES=str(mapping),
        SCORING_PUBLISH_PERSONAL_DATA="true",
    )
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(tmp_path / "published/segments.duckdb"), read_only=True) as con:
        scored = con.execute(
            "select customer_id, last_order_date, recency_days, scoring_date "
            "from customer_scores order by 1"
        ).fetchall()
    expected = orders()
    assert [(c, last, days, when) for c, last, days, when in scored] == [
        (f"guest:{customer}", max(days), (SCORING_DATE - max(days)).days, SCORING_DATE)
        for customer, days in sorted(expected.items())
    ]


def test_a_scoring_date_outside_the_partitions_is_one_line_naming_the_setting(
    tmp_path: Path,
) -> None:
    early = run_cli(tmp_path, "--scoring-date", "1850-06-01")
    assert early.returncode == 1
    assert early.stderr.strip().splitlines() == [
        "Scoring date 1850-06-01 is before the first scoring date 1900-01-01: set "
        "SCORING_FIRST_DATE=1850-06-01 (or earlier) to score it."
    ]
    later_start = run_cli(tmp_path, "--scoring-date", "1998-07-01", SCORING_FIRST_DATE="2000-01-01")
    assert later_start.returncode == 1
    assert later_start.stderr.strip().splitlines() == [
        "Scoring date 1998-07-01 is before the first scoring date 2000-01-01: set "
        "SCORING_FIRST_DATE=1998-07-01 (or earlier) to score it."
    ]
    assert not (tmp_path / "landing").exists()  # nothing was prepared or generated
