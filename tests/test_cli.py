"""`python -m dagster_project run`, as `make run` calls it: what the user reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb


def run_cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SCORING_DATA_DIR": str(data_dir), **env}
    if "SCORING_SOURCES" not in env:
        environment.pop("SCORING_SOURCES", None)
    environment.pop("DAGSTER_HOME", None)  # the command uses the data directory's own
    return subprocess.run(
        [sys.executable, "-m", "dagster_project", "run", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_generates_demo_data_scores_and_prints_the_published_segments(
    tmp_path: Path,
) -> None:
    done = run_cli(tmp_path, "--scoring-date", "2026-11-01", "--demo-customers", "200")
    assert done.returncode == 0, done.stderr
    assert "generating demo data for 200 customers up to 2026-10-31" in done.stdout
    with duckdb.connect(str(tmp_path / "published/segments.duckdb"), read_only=True) as con:
        segments = con.execute("select segment, customers from segment_summary").fetchall()
        customers = con.execute("select count(*) from customer_scores").fetchone()[0]
    for segment, count in segments:
        assert any(line.split()[:2] == [segment, str(count)] for line in done.stdout.splitlines())
    assert done.stdout.splitlines()[-2].split() == ["total", str(customers)]
    assert "Traceback" not in done.stdout + done.stderr
    # Progress: a line when each step starts and ends, with its duration and what it made.
    progress = [line for line in done.stdout.splitlines() if line.startswith("[")]
    transactions = None
    for line in progress:
        if "raw/transactions done in" in line:
            transactions = line
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        raw_rows = con.execute("select count(*) from raw.transactions").fetchone()[0]
    assert transactions and transactions.endswith(f"({raw_rows:,} rows)"), progress
    assert any(line.endswith("scoring_models started") for line in progress), progress
    assert any("scoring_models done in" in line and " checks)" in line for line in progress)
    assert any(line.split("] ")[1].startswith("published/segments done in") for line in progress)
    assert progress[-1].split("] ")[1].startswith("published/report done in"), progress
    log = (tmp_path / "logs/run-2026-11-01.log").read_text()
    assert "Completed successfully" in log and "Deprecat" not in log  # dbt's output, clean

    # The landing folder gone (a mount missing): one message saying what to do, and no demo
    # files mixed into real loads (they have the real files' names: they replaced their rows).
    (tmp_path / "landing").rename(tmp_path / "landing.away")
    published = (tmp_path / "published/segments.duckdb").read_bytes()
    again = run_cli(tmp_path, "--scoring-date", "2026-11-01")
    assert again.returncode == 1
    assert again.stderr.startswith(f"No landing files in {tmp_path / 'landing'}, but "), again
    assert "put the landing files back" in again.stderr and "Traceback" not in again.stderr
    assert "generating demo" not in again.stdout and not (tmp_path / "landing").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.transactions").fetchone()[0] == raw_rows
    assert (tmp_path / "published/segments.duckdb").read_bytes() == published


def test_a_mapping_error_is_one_message_and_no_traceback(tmp_path: Path) -> None:
    mapping = tmp_path / "sources.yml"
    mapping.write_text(
        "sources:\n  transactions:\n    inputs:\n      - path: landing/till/*.csv\n"
        "        columns: {order_idd: Ticket}\n"
    )
    done = run_cli(tmp_path, "--scoring-date", "2026-11-01", SCORING_SOURCES=str(mapping))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Source mapping error: {mapping}: source 'transactions', input 1: unknown canonical "
        "column(s) order_idd in `columns`. Columns of 'transactions' are: order_id, "
        "order_line, customer_ref, order_ts, channel, product_id, category, quantity, "
        "unit_price, discount, line_amount, currency, status."
    ]
    assert not (tmp_path / "published").exists()


def test_a_load_step_shows_the_rows_it_quarantined() -> None:
    """`make run`'s line for a load: the table's rows, and the rows this load put aside
    (a day's file wholly rejected must not pass unseen)."""
    from dagster_project.progress import _Step, _summary

    clean = _Step(0.0, rows_by_asset={"raw/transactions": 3204})
    assert _summary("raw/transactions", clean) == " (3,204 rows)"
    dirty = _Step(0.0, rows_by_asset={"raw/transactions": 3204}, quarantined=1250)
    assert _summary("raw/transactions", dirty) == " (3,204 rows, 1,250 quarantined)"
