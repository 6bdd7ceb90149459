"""The named segments mean what they say on the demo data (RFM over all history by default).

A big buyer gone quiet keeps F = 5 and lands in cant_lose_them; first-time buyers of the
last month are new_customers; every segment of the grid has customers. The windowed
option (`rfm_lookback_days: 365`) still gives exactly the R/F/M its definition says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
from conftest import SCORING_DATE, PipelineRun
from rfm_reference import counted_orders, rfm

from dagster_project import settings

GRID = settings.DBT_PROJECT_DIR / "seeds" / "rfm_segment_grid.csv"


def scores(run: PipelineRun, columns: str) -> pd.DataFrame:
    """Columns of the published customer_scores, what BI reads."""
    with duckdb.connect(str(run.layout.published_db), read_only=True) as con:
        return con.execute(f"select customer_id, {columns} from customer_scores").df()


def lapsed_heavy_buyer(run: PipelineRun) -> tuple[str, int]:
    """From the landing files: the customer with the most counted orders among those whose
    last order is more than a year before the scoring date (id and order count)."""
    orders = counted_orders(run.layout.landing, SCORING_DATE)
    per_customer = orders.groupby("customer_id").agg(orders=("day", "size"), last=("day", "max"))
    lapsed = per_customer[per_customer["last"] < SCORING_DATE - timedelta(days=365)]
    heaviest = lapsed.sort_values("orders", ascending=False, kind="stable").iloc[:1]
    return heaviest.index[0], int(heaviest.orders.iloc[0])


def test_every_segment_of_the_grid_has_customers(demo_run: PipelineRun) -> None:
    grid = set(pd.read_csv(GRID).segment)
    counts = scores(demo_run, "segment").segment.value_counts()
    assert len(grid) == 10
    empty = {segment: int(counts.get(segment, 0)) for segment in grid if counts.get(segment, 0) < 5}
    assert empty == {}, f"segments with fewer than 5 customers: {empty}"


def test_most_recent_first_time_buyers_are_new_customers(demo_run: PipelineRun) -> None:
    recent_new = scores(demo_run, "segment, lifecycle_stage, recency_days, frequency").query(
        "lifecycle_stage == 'new' and recency_days <= 30"
    )
    in_segment = recent_new.segment == "new_customers"
    assert len(recent_new) >= 10
    assert in_segment.mean() > 0.5, recent_new.segment.value_counts().to_dict()
    # The others already came back: a second order makes them potential loyalists.
    others = recent_new[~in_segment]
    assert (others.frequency >= 2).all() and set(others.segment) <= {"potential_loyalists"}


def test_a_lapsed_heavy_buyer_is_one_we_cannot_lose(demo_run: PipelineRun) -> None:
    customer, orders = lapsed_heavy_buyer(demo_run)
    row = scores(
        demo_run, "segment, r_score, f_score, frequency, orders_last_365d, revenue_last_365d"
    ).set_index("customer_id")
    assert orders >= 10
    assert row.loc[customer].to_dict() == {
        "segment": "cant_lose_them",
        "r_score": 1,
        "f_score": 5,
        "frequency": orders,
        "orders_last_365d": 0,
        "revenue_last_365d": 0,
    }


def test_the_windowed_option_scores_exactly_its_definition(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """dbt rebuilds R/F/M on a copy of the warehouse with rfm_lookback_days 365."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run.layout.warehouse, copy)
    dbt_vars = {"scoring_date": SCORING_DATE.isoformat(), "rfm_lookback_days": 365}
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.run(
        [str(dbt), "run", "--select", "int_customer_order_summary", "customer_rfm"]
        + ["--vars", json.dumps(dbt_vars), "--project-dir", str(settings.DBT_PROJECT_DIR)]
        + ["--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(tmp_path)]
        + ["--log-path", str(tmp_path)],
        env={**os.environ, "SCORING_WAREHOUSE_PATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        actual = (
            con.execute(
                "select customer_id, recency_days, frequency, cast(monetary as double) as monetary,"
                " r_score, f_score, m_score from marts.customer_rfm"
            )
            .df()
            .set_index("customer_id")
            .sort_index()
        )
    expected = rfm(demo_run.layout.landing, SCORING_DATE, lookback_days=365)
    assert list(actual.index) == list(expected.index) and len(actual) > 100
    for column in ["recency_days", "frequency", "r_score", "f_score", "m_score"]:
        mismatched = (actual[column] != expected[column]).sum()
        assert mismatched == 0, f"{column}: {mismatched} customers differ"
    pd.testing.assert_series_equal(actual.monetary, expected.monetary, atol=0.005, rtol=0)
    # Windowed, a buyer whose orders are all older than the window has frequency 0 and the
    # lowest F score with every other lapsed buyer: the definition the default avoids.
    customer, _ = lapsed_heavy_buyer(demo_run)
    assert actual.loc[customer, ["frequency", "f_score"]].tolist() == [0, 1]
    assert (actual.frequency == 0).sum() > 20
