"""Predictions in the pipeline: the demo run (one daily_refresh, real dbt, real fits) builds
features -> model -> marts in order, once, checks the fit, backtests it and publishes
customer_predictions. Numbers are recomputed here from the warehouse, independently of the
code that produced them."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from datetime import timedelta

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import SCORING_DATE, PipelineRun
from test_customer_value import mbgnbd_expected_orders

from dagster_project.defs.prediction import BACKTEST, PREDICTIONS, _fit_checks
from dagster_project.lib import customer_value as cv

FEATURES = "features/customer_value_features"


def query(run: PipelineRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.layout.warehouse), read_only=True) as con:
        return con.execute(sql).df()


def metadata(run: PipelineRun, key: dg.AssetKey) -> dict:
    event = run.instance.get_latest_materialization_event(key)
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_one_run_builds_features_then_model_then_marts_once(demo_run: PipelineRun) -> None:
    events = demo_run.result.get_asset_materialization_events()
    order = [e.asset_key.to_user_string() for e in events]
    for key in (FEATURES, "predictions/customer_value", "marts/customer_predictions"):
        assert order.count(key) == 1, key
    assert (
        order.index(FEATURES)
        < order.index("predictions/customer_value")
        < order.index("staging/stg_customer_value_predictions")
        < order.index("marts/customer_predictions")
        < order.index("marts/customer_scores")
        < order.index("published/segments")
    )
    assert "predictions/model_backtest" in order
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in demo_run.result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.asset_key in (PREDICTIONS, BACKTEST)
    }
    assert checks["fit_converged"].passed and checks["parameters_finite_and_positive"].passed
    assert "beats_naive_baseline" in checks  # a warning either way, always reported


def test_prediction_assets_show_their_fit_and_run_one_date_per_run(demo_run: PipelineRun) -> None:
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in (PREDICTIONS, BACKTEST):
        node = graph.get(key)
        assert node.group_name == "prediction" and {"pymc", "python"} <= set(node.kinds)
        assert node.backfill_policy == dg.BackfillPolicy.multi_run(1)
    # dbt reads the asset's table as a source: one lineage graph.
    assert graph.get(dg.AssetKey(["staging", "stg_customer_value_predictions"])).parent_keys == {
        PREDICTIONS
    }
    fit = metadata(demo_run, PREDICTIONS)
    buyers = query(demo_run, "select count(*) as n from features.customer_value_features").n[0]
    assert fit["customers_fitted"] == fit["purchase_customers_fitted"] == buyers > 300
    for name in ("r", "alpha", "a", "b"):
        assert fit[f"purchase_{name}"] > 0
    assert fit["purchase_converged"] is True and fit["purchase_log_likelihood"] < 0
    # The demo's 607 buyers barely differ in dropout (about 3 %): a and b climb their ridge
    # and the fit stops on it, below the cap, so no shape is named (a named one is tested
    # in test_customer_value).
    assert fit["purchase_shapes_at_cap"] == fit["spend_shapes_at_cap"] == "none"
    a, b = fit["purchase_a"], fit["purchase_b"]
    assert max(a, b) < cv.SHAPE_CAP and 0.01 < a / (a + b) < 0.05
    assert fit["model_version"].startswith("mbgnbd+gamma_gamma v3")


def test_predictions_are_published_and_prospects_have_none(demo_run: PipelineRun) -> None:
    published = demo_run.layout.published_db
    with duckdb.connect(str(published), read_only=True) as con:
        con.execute(f"attach '{demo_run.layout.warehouse}' as wh (read_only)")
        rows, buyers, dates, bands = con.execute(
            "select count(*), (select count(*) from wh.features.customer_value_features),"
            " list(distinct scoring_date), list(distinct churn_band order by churn_band)"
            " from customer_predictions"
        ).fetchone()
        prospects = con.execute(
            "select count(*), count(p_alive) + count(clv_12m) + count(churn_band)"
            " + count(expected_orders_365d) from customer_scores where segment = 'prospect'"
        ).fetchone()
        buyers_in_scores = con.execute(
            "select count(*) from customer_scores where p_alive is not null"
        ).fetchone()[0]
    assert rows == buyers == buyers_in_scores > 300
    assert dates == [SCORING_DATE]
    assert set(bands) <= {"low", "medium", "high", "lost"} and "low" in bands
    assert prospects[0] > 0 and prospects[1] == 0
    parquet = demo_run.layout.published_parquet / "current" / "customer_predictions.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == rows


def test_clv_and_next_order_date_recomputed_for_a_few_customers(demo_run: PipelineRun) -> None:
    raw = query(demo_run, "select * from predictions.customer_value order by customer_id")
    mart = query(demo_run, "select * from marts.customer_predictions").set_index("customer_id")
    sample = raw.iloc[[0, len(raw) // 3, len(raw) // 2, -1]]
    for _, row in sample.iterrows():
        months = [row[f"expected_orders_month_{m:02d}"] for m in range(1, 13)]
        clv = sum(
            0.3 * row.expected_order_value * n / 1.1 ** (m / 12) for m, n in enumerate(months, 1)
        )
        assert mart.loc[row.customer_id, "clv_12m"] == pytest.approx(clv, abs=0.006)
        assert sum(months) == pytest.approx(row.expected_orders_365d)
        assert mart.loc[row.customer_id, "churn_probability"] == pytest.approx(1 - row.p_alive)
        if pd.notna(row.days_to_likely_order):
            expected = SCORING_DATE + timedelta(days=int(row.days_to_likely_order) - 1)
            assert pd.Timestamp(row.expected_next_order_date).date() == expected
        else:
            assert pd.isna(row.expected_next_order_date)


def test_backtest_numbers_recomputed_from_the_orders(demo_run: PipelineRun) -> None:
    backtest = query(demo_run, "select * from predictions.model_backtest").set_index("model")
    assert set(backtest.index) == {"mbgnbd", cv.BASELINE}
    cutoff = SCORING_DATE - timedelta(days=180)
    # What happened in the holdout, straight from the orders (not from the feature model).
    actual = query(
        demo_run,
        f"""
        select customer_id,
               count(distinct order_date) filter (where order_date < date '{cutoff}')
                   as days_before,
               min(order_date) as first_day,
               max(order_date) filter (where order_date < date '{cutoff}') as last_day,
               count(distinct order_date) filter (where order_date >= date '{cutoff}') as holdout
        from intermediate.int_orders where is_counted group by customer_id
        having min(order_date) < date '{cutoff}'
        """,
    ).set_index("customer_id")
    model, naive = backtest.loc["mbgnbd"], backtest.loc[cv.BASELINE]
    assert model.customers == naive.customers == len(actual)
    assert model.actual_orders == naive.actual_orders == actual.holdout.sum()
    assert model.share_ordered_again == pytest.approx((actual.holdout > 0).mean())
    x = (actual.days_before - 1).to_numpy(float)
    first = pd.to_datetime(actual.first_day)
    tenure = (pd.Timestamp(cutoff) - first).dt.days.to_numpy(float)
    recency = (pd.to_datetime(actual.last_day) - first).dt.days.to_numpy(float)
    naive_orders = x / tenure * 180
    assert naive.mean_absolute_error == pytest.approx(
        np.mean(np.abs(naive_orders - actual.holdout.to_numpy(float)))
    )
    fitted = metadata(demo_run, BACKTEST)
    params = {k: fitted[f"purchase_{k}"] for k in ("r", "alpha", "a", "b")}
    predicted = mbgnbd_expected_orders(params, x, recency, tenure, 180.0)
    # Parameters are shown rounded to 6 decimals: agreement to a part in ten thousand.
    assert model.predicted_orders == pytest.approx(predicted.sum(), rel=1e-4)
    assert model.mean_absolute_error == pytest.approx(
        np.mean(np.abs(predicted - actual.holdout.to_numpy(float))), rel=1e-4
    )
    assert fitted["model_mean_absolute_error"] == pytest.approx(model.mean_absolute_error, abs=1e-4)


def test_the_backtest_is_published_for_bi(demo_run: PipelineRun) -> None:
    """An analyst reads how far to trust the predictions from the published file."""
    fitted = query(demo_run, "select * from predictions.model_backtest order by model")
    with duckdb.connect(str(demo_run.layout.published_db), read_only=True) as con:
        published = con.execute("select * from prediction_backtest order by predictor").df()
    assert published.predictor.tolist() == fitted.model.tolist() == ["mbgnbd", cv.BASELINE]
    assert [pd.Timestamp(d).date() for d in published.scoring_date] == [SCORING_DATE] * 2
    for column in ("customers", "mean_absolute_error", "actual_orders", "brier_p_order"):
        assert published[column].tolist() == pytest.approx(fitted[column].tolist()), column
    model, naive = published.mean_absolute_error
    assert published.beats_baseline.tolist() == [model < naive, False]


def test_a_fit_that_did_not_converge_blocks_with_an_error() -> None:
    bad = cv.Fit("bgnbd", {"r": 0.5, "alpha": float("nan"), "a": 1, "b": 2}, -1.0, 10, 0.1, 3.0)
    model = cv.CustomerValueModel(bad, bad, None, None)
    results = {r.check_name: r for r in _fit_checks(model, "")}
    assert (
        not results["fit_converged"].passed and not results["parameters_finite_and_positive"].passed
    )
    assert {r.severity for r in results.values()} == {dg.AssetCheckSeverity.ERROR}
    nothing = _fit_checks(None, "No customer has a counted order")
    assert all(not r.passed and "No customer" in r.description for r in nothing)
