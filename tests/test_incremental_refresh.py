"""Incremental refresh gives the same published tables as a full refresh.

One data directory goes through a sequence of landing states and scoring dates, each run
of `daily_refresh` incremental (staging adds the load batch): a first load; then a new
order file (one line re-sends an older file's key), a replaced order file and a new notes
file, scored as of an earlier date; then the new order file sent again with a line less,
scored as of a later date. After every run the staging tables hold exactly raw's rows.
Then a copy of the directory runs the last date with the full-refresh run config, and
every published table of both is compared row by row (four runs in all: a run costs a
minute or more, so the full side is not replayed step by step).
"""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import SEED, code_location, failure_text, use_data_dir

from dagster_project.defs.scoring import full_refresh_run_config
from dagster_project.demo import generate
from dagster_project.lib.publisher import PUBLISHED_TABLES

CUSTOMERS = 120
END_DATE = date(2026, 10, 31)
STAGING = ("stg_transactions", "stg_interactions", "stg_crm_notes")
VOLATILE_COLUMNS = {"fitted_at"}  # when the fit ran, not what it found
HEADER = (
    "order_id,order_line,customer_ref,order_ts,channel,product_id,category,quantity,"
    "unit_price,discount,currency,status"
)


def run(layout, scoring_date: date, full_refresh: bool) -> None:
    use_data_dir(layout)
    result = (
        code_location()
        .resolve_job_def("daily_refresh")
        .execute_in_process(
            partition_key=scoring_date.isoformat(),
            instance=dg.DagsterInstance.ephemeral(),
            run_config=full_refresh_run_config() if full_refresh else None,
            raise_on_error=False,
        )
    )
    assert result.success, failure_text(result)


def first_line_of(path: Path, customer_refs: int = 2) -> list[list[str]]:
    """The first data lines of an order file, split (to reuse their customers and keys)."""
    lines = path.read_text(encoding="utf-8").splitlines()[1 : 1 + customer_refs]
    return [line.split(",") for line in lines]


def step_two(landing: Path) -> None:
    """A new order file (one line re-sends an old file's key with a new amount), a replaced
    order file (its last lines dropped, one amount changed) and a new notes file."""
    orders = landing / "transactions"
    old = first_line_of(orders / "transactions_2026-09.csv")
    resent = [*old[0][:8], "99.00", *old[0][9:]]
    new = [
        ["O9000001", "1", old[1][2], "2026-10-30 10:00:00", "web", "P0001", "books", "3",
         "20.00", "0.00", "EUR", "completed"],
        ["O9000002", "1", old[0][2], "2026-10-31 09:00:00", "app", "P0002", "beauty", "1",
         "250.00", "0.00", "EUR", "completed"],
    ]  # fmt: skip
    (orders / "transactions_extra.csv").write_text(
        "\n".join([HEADER, *(",".join(r) for r in [*new, resent])]) + "\n", encoding="utf-8"
    )
    replaced = orders / "transactions_2026-08.csv"
    lines = replaced.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[8] = "123.45"
    replaced.write_text("\n".join([lines[0], ",".join(first), *lines[2:-5]]) + "\n")
    notes = landing / "crm_notes"
    note_header = notes.joinpath("crm_notes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert note_header.startswith("note_id,"), note_header
    columns = note_header.split(",")
    note = {
        "note_id": "N9000001",
        "customer_ref": old[0][2],
        "note_ts": "2026-10-29 16:00:00",
        "author": "sales",
        "note_text": "very unhappy and wants to cancel",
    }
    (notes / "crm_notes_extra.csv").write_text(
        note_header + "\n" + ",".join(note.get(c, "") for c in columns) + "\n", encoding="utf-8"
    )


def step_three(landing: Path) -> None:
    """The new order file is sent again: one line gone, one quantity changed."""
    extra = landing / "transactions" / "transactions_extra.csv"
    header, first, _second, resent = extra.read_text(encoding="utf-8").splitlines()
    first_fields = first.split(",")
    first_fields[7] = "5"
    extra.write_text("\n".join([header, ",".join(first_fields), resent]) + "\n")


def table_rows(database: Path, tables: list[str]) -> dict[str, list[tuple]]:
    """Each table's rows, sorted, floats rounded (sums may add in another order), without
    the wall-clock time a model was fitted at."""

    def value(v):
        if isinstance(v, float) and math.isfinite(v):
            return round(v, 9)
        return v

    rows = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for table in tables:
            columns = [c[0] for c in con.execute(f"describe {table}").fetchall()]
            kept = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE_COLUMNS)
            found = con.execute(f"select {kept} from {table}").fetchall()
            rows[table] = sorted((tuple(value(v) for v in row) for row in found), key=repr)
    return rows


def assert_staging_mirrors_raw(warehouse: Path) -> None:
    """Each incremental staging table holds exactly raw's rows: same keys, same file, hash
    and line (a replaced file's old rows gone, a re-sent key from its latest file)."""
    lineage = {
        "stg_transactions": ("transactions", "order_id, order_line"),
        "stg_interactions": ("interactions", "event_id"),
        "stg_crm_notes": ("crm_notes", "note_id"),
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model, (source, key) in lineage.items():
            staged = f"select {key}, source_file, source_file_hash, source_line_number"
            raw = f"select {key}, _source_file, _file_hash, _line_number"
            counts = con.execute(
                f"select (select count(*) from staging.{model}), (select count(*) from "
                f"raw.{source}), (select count(*) from ({staged} from staging.{model} "
                f"except all {raw} from raw.{source}))"
            ).fetchone()
            assert counts[0] == counts[1] and counts[2] == 0, (model, counts)


@pytest.mark.usefixtures("restored_environment")
def test_incremental_and_full_refresh_publish_the_same_tables(tmp_path: Path) -> None:
    from dagster_project import settings

    incremental = settings.data_dir(tmp_path / "incremental")
    generate(incremental.landing, customers=CUSTOMERS, seed=SEED, end_date=END_DATE)
    steps = [
        (None, date(2026, 10, 15)),
        (step_two, date(2026, 10, 1)),
        (step_three, date(2026, 11, 1)),
    ]
    for change, scoring_date in steps:
        if change:
            change(incremental.landing)
        run(incremental.root, scoring_date, full_refresh=False)
        assert_staging_mirrors_raw(incremental.warehouse)

    # The incremental side really took the incremental path on its last run.
    compiled = "logs/dbt/compiled/customer_scoring/models/staging/stg_transactions.sql"
    batch_filter = "(_source_file, _file_hash) in ("  # rows_of_new_files, incremental only
    assert batch_filter in (incremental.root / compiled).read_text()
    with duckdb.connect(str(incremental.warehouse), read_only=True) as con:
        extra = con.execute(
            "select order_id, quantity, unit_price from staging.stg_transactions "
            "where source_file like '%transactions_extra.csv' order by order_id"
        ).fetchall()
    # The re-sent key carries the new file's price; the line dropped from it is gone.
    assert [row[0] for row in extra] == [extra[0][0], "O9000001"], extra
    assert extra[0][2] == 99 and extra[1][1:] == (5, 20), extra

    full = settings.data_dir(tmp_path / "full")
    shutil.copytree(
        incremental.root, full.root, symlinks=True, ignore=shutil.ignore_patterns("dagster_home")
    )
    run(full.root, steps[-1][1], full_refresh=True)
    assert batch_filter not in (full.root / compiled).read_text()

    published = list(PUBLISHED_TABLES)
    got = table_rows(incremental.published_db, published)
    expected = table_rows(full.published_db, published)
    for table in published:
        assert got[table] == expected[table], f"published {table} differs"
    assert len(got["customer_scores"]) > CUSTOMERS / 2
    with duckdb.connect(str(full.published_db), read_only=True) as con:
        dates = con.execute("select distinct scoring_date from customer_segment_history")
        assert {d for (d,) in dates.fetchall()} == {d for _, d in steps}
    staged = [f"staging.{name}" for name in STAGING]
    assert table_rows(incremental.warehouse, staged) == table_rows(full.warehouse, staged)
