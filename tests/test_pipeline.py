"""The walking skeleton end to end: demo files in, scored segments published for BI."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import SCORING_DATE, PipelineRun
from rfm_reference import customer_of_reference, rfm

from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.personal_data import published_select, salt
from dagster_project.lib.warehouse import quote_literal

READER = """
import json, sys
import sqlalchemy as sa
engine = sa.create_engine(f"duckdb:///{sys.argv[1]}", connect_args={"read_only": True})
with engine.connect() as conn:
    out = {
        "tables": sorted(sa.inspect(conn).get_table_names()),
        "segments": dict(conn.execute(sa.text(
            "select segment, customers from segment_summary")).fetchall()),
        "scores": conn.execute(sa.text("select count(*) from customer_scores")).scalar(),
        "log": [list(map(str, r)) for r in conn.execute(sa.text(
            "select version, scoring_date, customer_scores_rows from publication_log"))],
    }
print(json.dumps(out))
"""


def warehouse(run: PipelineRun) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(run.layout.warehouse), read_only=True)


def test_every_generated_row_is_loaded(demo_run: PipelineRun) -> None:
    with warehouse(demo_run) as con:
        for source in SOURCES:
            loaded = con.execute(f"select count(*) from raw.{source}").fetchone()[0]
            assert loaded == demo_run.report.clean_rows[source] > 0, source
            event = demo_run.instance.get_latest_materialization_event(dg.AssetKey(["raw", source]))
            metadata = event.asset_materialization.metadata
            assert metadata["rows_loaded"].value == loaded, source
            assert metadata["rows_quarantined"].value == 0, source


def test_rfm_matches_a_python_recomputation_for_every_customer(demo_run: PipelineRun) -> None:
    expected = rfm(demo_run.layout.landing, SCORING_DATE)
    with warehouse(demo_run) as con:
        actual = (
            con.execute(
                "select customer_id, recency_days, frequency, cast(monetary as double) as monetary,"
                " r_score, f_score, m_score from marts.customer_rfm"
            )
            .df()
            .set_index("customer_id")
            .sort_index()
        )
    assert len(actual) == len(expected) > 100
    assert list(actual.index) == list(expected.index)
    for column in ["recency_days", "frequency", "r_score", "f_score", "m_score"]:
        mismatched = (actual[column] != expected[column]).sum()
        assert mismatched == 0, f"{column}: {mismatched} customers differ"
    pd.testing.assert_series_equal(actual.monetary, expected.monetary, atol=0.005, rtol=0)


def test_anonymous_interactions_are_counted_not_scored(demo_run: PipelineRun) -> None:
    events = pd.concat(
        pd.read_csv(f, dtype=str, keep_default_na=False)
        for f in sorted((demo_run.layout.landing / "interactions").glob("*.csv"))
    )
    events = events[pd.to_datetime(events.event_ts).dt.date < SCORING_DATE]
    known = customer_of_reference(demo_run.layout.landing)
    anonymous = (~events.customer_ref.str.strip().str.lower().isin(known)).sum()
    with warehouse(demo_run) as con:
        counted = dict(
            con.execute("select source, rows_anonymous from quality.identity_resolution").fetchall()
        )
    assert counted["interactions"] == anonymous > 100
    assert counted["transactions"] == counted["crm_notes"] == 0


def test_a_hand_computed_customer(demo_run: PipelineRun) -> None:
    """One customer, worked out from their own order lines alone."""
    with warehouse(demo_run) as con:
        customer, recency, frequency, monetary, recent_orders, recent_revenue = con.execute(
            "select customer_id, recency_days, frequency, monetary, orders_last_365d,"
            " revenue_last_365d from marts.customer_scores"
            " where frequency > orders_last_365d and orders_last_365d >= 2"
            " order by customer_id limit 1"
        ).fetchone()
    lines = pd.concat(
        pd.read_csv(f) for f in sorted((demo_run.layout.landing / "transactions").glob("*.csv"))
    )
    crm = pd.read_csv(demo_run.layout.landing / "crm_customers" / "crm_customers.csv")
    email = crm.loc[crm.customer_id == customer, "email"].item()
    # Purchases refer to the customer by id or by e-mail, in any case.
    lines = lines[
        lines.customer_ref.str.strip().str.lower().isin([customer.lower(), email.lower()])
    ]
    lines["day"] = pd.to_datetime(lines.order_ts).dt.date
    lines["net"] = (lines.quantity * lines.unit_price - lines.discount) * lines.status.map(
        {"completed": 1, "returned": -1, "cancelled": 0}
    )
    orders = lines.groupby("order_id").agg(day=("day", "min"), net=("net", "sum"))
    orders = orders[(orders.net > 0) & (orders.day < SCORING_DATE)]
    in_year = orders[orders.day >= SCORING_DATE - pd.Timedelta(days=365)]
    assert recency == (SCORING_DATE - orders.day.max()).days
    # Frequency and monetary cover all history; the last 365 days are published beside them.
    assert frequency == len(orders) > len(in_year) == recent_orders
    assert float(monetary) == pytest.approx(orders.net.sum(), abs=0.005)
    assert float(recent_revenue) == pytest.approx(in_year.net.sum(), abs=0.005)


def test_dbt_tables_carry_their_row_counts(demo_run: PipelineRun) -> None:
    key = dg.AssetKey(["marts", "customer_scores"])
    event = demo_run.instance.get_latest_materialization_event(key)
    with warehouse(demo_run) as con:
        customers = con.execute("select count(*) from marts.customer_scores").fetchone()[0]
    assert event.asset_materialization.metadata["dagster/row_count"].value == customers


def test_buyers_have_scores_and_segments_are_meaningful(demo_run: PipelineRun) -> None:
    with warehouse(demo_run) as con:
        unscored_buyers = con.execute(
            "select count(*) from intermediate.int_orders o"
            " left join marts.customer_scores s using (customer_id)"
            " where o.is_counted and not (s.r_score between 1 and 5"
            " and s.f_score between 1 and 5 and s.m_score between 1 and 5)"
            " or (o.is_counted and s.customer_id is null)"
        ).fetchone()[0]
        segments = con.execute(
            "select segment, count(*) from marts.customer_scores group by segment"
        ).fetchall()
        prospects_with_rfm = con.execute(
            "select count(*) from marts.customer_scores where segment = 'prospect'"
            " and r_score is not null"
        ).fetchone()[0]
    assert unscored_buyers == 0
    assert len([s for s, n in segments if s != "prospect" and n > 0]) >= 5
    assert prospects_with_rfm == 0


def test_published_file_holds_the_mart_rows(demo_run: PipelineRun) -> None:
    salt_literal = quote_literal(salt(demo_run.layout.root))
    with duckdb.connect(str(demo_run.layout.published_db), read_only=True) as con:
        con.execute(f"attach '{demo_run.layout.warehouse}' as wh (read_only)")
        for table in ["customer_scores", "segment_summary", "customer_segment_history"]:
            columns = [c[0] for c in con.execute(f"describe wh.marts.{table}").fetchall()]
            # By default, no personal column, and guests under a pseudonym.
            chosen = published_select(columns, False, salt_literal)
            mart = f"(select {chosen} from wh.marts.{table})"
            for left, right in [(table, mart), (mart, table)]:
                missing = con.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()[0]
                assert missing == 0, f"{left} has {missing} rows not in {right}"
        assert con.execute("select count(*) from customer_scores").fetchone()[0] > 0
    parquet = demo_run.layout.published_parquet_current / "customer_scores.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] > 0


def test_a_bi_client_in_another_process_reads_the_published_tables(demo_run: PipelineRun) -> None:
    out = subprocess.run(
        [sys.executable, "-c", READER, str(demo_run.layout.published_db)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(out.stdout)
    with warehouse(demo_run) as con:
        customers = con.execute("select count(*) from marts.customer_scores").fetchone()[0]
        segments = dict(
            con.execute("select segment, count(*) from marts.customer_scores group by 1").fetchall()
        )
    assert {"customer_scores", "segment_summary", "publication_log"} <= set(seen["tables"])
    assert seen["scores"] == customers
    assert {s: n for s, n in seen["segments"].items() if n} == segments
    assert seen["log"] == [["1", SCORING_DATE.isoformat(), str(customers)]]
