"""Suites validated in batches give GX's verdict on the whole table: real DuckDB, real GX."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import SCORING_DATE, PipelineRun

from dagster_project import settings
from dagster_project.defs.quality import suite_parameters
from dagster_project.defs.resources import ScoringSettings
from dagster_project.lib import expectation_batches, expectations

ROWS = 2_000
BATCH = 300  # rows per batch in the batched runs: about seven batches of 2,000 rows

ORDERS = f"""
create table orders as
select
    'O' || lpad((i // 2)::varchar, 5, '0') as order_id,
    (i % 2 + 1)::integer as order_line,
    'C' || (i % 97) as customer_ref,
    'c' || i || '@example.com' as email,
    ['completed', 'returned', 'cancelled'][1 + i % 3] as status,
    (1 + i % 4)::integer as quantity,
    (i % 50)::decimal(10, 2) as unit_price,
    case when i % 7 <> 0 then (i % 5)::integer end as discount_percent,
    case when i % 10 = 0 then null else 'web' end as channel
from range({ROWS}) t(i)
"""

EXPECTATIONS = [
    {"type": "expect_table_row_count_to_equal", "kwargs": {"value": {"$PARAMETER": "rows"}}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_ref"}},
    {
        "type": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": ["order_id", "order_line"]},
    },
    {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "status", "value_set": ["completed", "returned", "cancelled"]},
    },
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "quantity", "min_value": 0, "strict_min": True},
    },
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "email"}},
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "discount_percent", "min_value": 0, "max_value": 4},
    },
    {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "channel", "mostly": 0.85},
        "severity": "warning",
    },
]


def suite(items: list[dict], one_batch: bool = False) -> expectations.SuiteFile:
    items = [{"severity": "critical", **item} for item in items]
    return expectations.SuiteFile(
        name="orders",
        path=Path("orders.json"),
        asset=("orders",),
        query="select * from orders",
        description="",
        expectations=tuple(items),
        one_batch=one_batch,
    )


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute(ORDERS)
        yield connection


def validate(con, item: expectations.SuiteFile, batch_rows: int) -> expectations.SuiteOutcome:
    return expectation_batches.validate_query(
        con, item, item.query, {"rows": ROWS}, batch_rows=batch_rows
    )


def verdicts(outcome: expectations.SuiteOutcome) -> list[tuple]:
    """What must not depend on batching: each expectation's success, error, observed value
    and the failures it shows (the first ones in the table's order)."""
    return [
        (o.expectation, o.success, o.error, o.observed, o.failing_sample, o.failing_rows)
        for o in outcome.outcomes
    ]


def test_clean_data_passes_in_batches_as_in_one(con) -> None:
    whole = validate(con, suite(EXPECTATIONS), batch_rows=ROWS)
    batched = validate(con, suite(EXPECTATIONS), batch_rows=BATCH)

    assert whole.batches == 1 and whole.rows == batched.rows == ROWS
    # Really cut, in batches of at most BATCH rows (hash buckets packed up to BATCH).
    assert batched.batches >= ROWS // BATCH and BATCH * 0.8 < batched.largest_batch <= BATCH
    assert all(o.success and o.error is None for o in whole.outcomes), whole.outcomes
    assert verdicts(batched) == verdicts(whole)
    # The temporary table is gone: nothing of the check stays on the connection.
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)


def test_faults_are_found_in_batches_as_in_one_and_name_their_rows(con) -> None:
    # A duplicate key whose two rows are far apart (first and last row ranges), a null, an
    # out-of-range value, and an e-mail used twice.
    con.execute(
        "insert into orders values "
        "('O00000', 1, 'C1', 'dup@example.com', 'completed', 2, 10, null, 'web'), "
        "('O99999', 1, null, 'x@example.com', 'completed', 1, 10, 1, 'web'), "
        "('O99998', 1, 'C2', 'c5@example.com', 'returned', 0, 10, 2, 'web')"
    )
    whole = validate(con, suite(EXPECTATIONS), batch_rows=ROWS + 10)
    batched = validate(con, suite(EXPECTATIONS), batch_rows=BATCH)

    assert whole.batches == 1 and batched.batches > 1
    assert verdicts(batched) == verdicts(whole)
    failed = {o.expectation + ":" + str(o.column): o for o in batched.failures}
    assert sorted(failed) == [
        "expect_column_values_to_be_between:quantity",
        "expect_column_values_to_be_unique:email",
        "expect_column_values_to_not_be_null:customer_ref",
        "expect_compound_columns_to_be_unique:None",
        "expect_table_row_count_to_equal:None",  # 3 more rows than the parameter says
    ]
    assert failed["expect_table_row_count_to_equal:None"].observed == ROWS + 3
    # Both rows of the duplicate key, whole, with the columns the expectation did not read.
    duplicate = failed["expect_compound_columns_to_be_unique:None"].failing_rows
    assert sorted((r["order_id"], r["email"]) for r in duplicate) == [
        ("O00000", "c0@example.com"),
        ("O00000", "dup@example.com"),
    ]
    (null_row,) = failed["expect_column_values_to_not_be_null:customer_ref"].failing_rows
    assert null_row["order_id"] == "O99999" and null_row["email"] == "x@example.com"
    quantity = failed["expect_column_values_to_be_between:quantity"]
    assert quantity.failing_sample == [0]
    assert [r["order_id"] for r in quantity.failing_rows] == ["O99998"]
    assert quantity.describe().startswith(
        "expect_column_values_to_be_between on quantity: expected 0.0 to, failing rows e.g. "
        "(order_id=O99998, order_line=1, customer_ref=C2"
    )
    emails = failed["expect_column_values_to_be_unique:email"]
    assert sorted(emails.failing_sample) == ["c5@example.com", "c5@example.com"]


def test_mostly_is_judged_on_the_whole_table_not_batch_by_batch(con) -> None:
    # 150 more null channels, all in the first rows: 350 nulls of 2,000 rows is 82.5 %
    # non-null (below 85 %); the first batch alone is mostly null, the others are fine.
    con.execute("update orders set channel = null where rowid < 300")
    item = suite([EXPECTATIONS[-1]])
    whole, batched = validate(con, item, ROWS), validate(con, item, BATCH)
    assert batched.batches == 7
    assert verdicts(batched) == verdicts(whole)
    assert [o.success for o in batched.outcomes] == [False]
    # Back above 85 %: the first batch still fails alone, the table passes.
    con.execute("update orders set channel = 'web' where rowid between 100 and 299")
    whole, batched = validate(con, item, ROWS), validate(con, item, BATCH)
    assert verdicts(batched) == verdicts(whole)
    assert [o.success for o in batched.outcomes] == [True]


def test_an_expectation_needing_the_whole_table_is_refused_when_the_suite_loads(
    tmp_path: Path, con
) -> None:
    column_sum = {
        "type": "expect_column_sum_to_be_between",
        "kwargs": {"column": "quantity", "min_value": 0},
        "severity": "critical",
    }
    document = {
        "name": "orders",
        "meta": {"asset": "orders", "query": "select * from orders"},
        "expectations": [column_sum],
    }
    (tmp_path / "orders.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"expect_column_sum_to_be_between needs the whole"):
        expectations.load_suites(tmp_path)

    # Marked one_batch it loads, is validated whole while small, and fails when it is not.
    document["meta"]["one_batch"] = True
    (tmp_path / "orders.json").write_text(json.dumps(document))
    (small,) = expectations.load_suites(tmp_path)
    assert [o.success for o in validate(con, small, ROWS).outcomes] == [True]
    (outcome,) = validate(con, small, BATCH).outcomes
    assert not outcome.success and "more than a batch (300" in outcome.error


def test_every_suite_gives_the_same_verdicts_in_batches_on_the_demo_warehouse(
    demo_run: PipelineRun,
) -> None:
    checked = {}
    with duckdb.connect(str(demo_run.layout.warehouse), read_only=True) as con:
        parameters = suite_parameters(con, SCORING_DATE)
        for item in expectations.load_suites(settings.EXPECTATIONS_DIR):
            sql = item.sql(SCORING_DATE)
            whole = expectation_batches.validate_query(con, item, sql, parameters, 10**9)
            assert whole.batches == 1 and not whole.failures, (item.name, whole.failures)
            if item.one_batch or whole.rows < 10:
                continue
            batch_rows = whole.rows // 4
            batched = expectation_batches.validate_query(con, item, sql, parameters, batch_rows)
            assert batched.batches >= 4 and batched.largest_batch <= batch_rows, item.name
            assert verdicts(batched) == verdicts(whole), item.name
            checked[item.name] = whole.rows
    # The big tables' suites were really cut.
    assert {"stg_transactions", "stg_interactions", "customer_scores"} <= set(checked), checked
    assert checked["stg_transactions"] > 5_000


def test_the_batch_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_GX_BATCH_ROWS", raising=False)
    assert ScoringSettings.from_environment().gx_batch_rows == 500_000
    monkeypatch.setenv("SCORING_GX_BATCH_ROWS", "1234")
    assert ScoringSettings.from_environment().gx_batch_rows == 1234
    monkeypatch.setenv("SCORING_GX_BATCH_ROWS", "half a million")
    with pytest.raises(ValueError, match=r"SCORING_GX_BATCH_ROWS='half a million' must be a whole"):
        ScoringSettings.from_environment()


def test_a_new_rows_suite_validates_the_rows_loaded_after_a_time(con) -> None:
    """meta.new_rows: the query's rows loaded after `loaded_after` only (in batches as in
    one), and the latest load time among them; with no time, every row."""
    con.execute(
        "create table loaded as select *, timestamp '2026-11-01 06:00' "
        "+ to_hours((row_number() over () - 1) // 500) as loaded_at from orders"
    )
    per_row = [e for e in EXPECTATIONS if e["type"] == "expect_column_values_to_be_between"]
    item = expectations.SuiteFile(
        name="loaded",
        path=Path("loaded.json"),
        asset=("loaded",),
        query="select * from loaded",
        description="",
        expectations=tuple({"severity": "critical", **e} for e in per_row),
        new_rows="loaded_at",
    )
    assert item.sql(SCORING_DATE) == item.query
    everything = expectation_batches.validate_query(con, item, item.sql(SCORING_DATE), {}, BATCH)
    assert everything.rows == ROWS
    assert str(everything.loaded_through) == "2026-11-01 09:00:00"
    since = everything.loaded_through.replace(hour=8)  # only the last load (09:00) is after
    for batch_rows in (ROWS, BATCH):
        newer = expectation_batches.validate_query(
            con, item, item.sql(SCORING_DATE, since), {}, batch_rows
        )
        assert (newer.rows, newer.loaded_through) == (500, everything.loaded_through)
        assert not newer.failures
    nothing = expectation_batches.validate_query(
        con, item, item.sql(SCORING_DATE, everything.loaded_through), {}, BATCH
    )
    assert (nothing.rows, nothing.loaded_through, nothing.failures) == (0, None, [])


def test_a_new_rows_suite_may_not_need_every_row(tmp_path: Path) -> None:
    """Uniqueness and row counts need every row: a new_rows suite with one is refused."""
    document = {
        "name": "loaded",
        "meta": {"asset": "staging/loaded", "query": "select 1", "new_rows": "loaded_at"},
        "expectations": [EXPECTATIONS[5]],
    }
    (tmp_path / "loaded.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="expect_column_values_to_be_unique needs every row"):
        expectations.load_suites(tmp_path)
