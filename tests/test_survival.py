"""Kaplan-Meier by channel against curves computed by hand, and the survival asset run
between the dbt steps of one daily run."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest
from conftest import SCORING_DATE, PipelineRun

from dagster_project.lib.survival import survival_by_channel, survival_by_group

# Six store customers (lifetime days, lost?) and three marketplace customers.
STORE = [(100, True), (200, False), (300, True), (300, True), (400, False), (800, True)]
MARKETPLACE = [(50, True), (120, True), (150, False)]


def _customers() -> pd.DataFrame:
    rows = [("store", d, e) for d, e in STORE] + [("marketplace", d, e) for d, e in MARKETPLACE]
    return pd.DataFrame(rows, columns=["first_channel", "lifetime_days", "is_lost"])


def test_kaplan_meier_matches_the_hand_computed_curve() -> None:
    table = survival_by_group(_customers(), "first_channel").set_index("channel")
    store = table.loc["store"]
    # t=100: 6 at risk, 1 lost -> 5/6; t=200 censored; t=300: 4 at risk, 2 lost -> 5/6 x 2/4;
    # t=400 censored; t=800: 1 at risk, 1 lost -> 0.
    assert store["customers"] == 6 and store["lost"] == 4
    assert store["survival_90d"] == pytest.approx(1.0)
    assert store["survival_180d"] == pytest.approx(5 / 6)
    assert store["survival_365d"] == pytest.approx(5 / 12)
    assert store["survival_730d"] == pytest.approx(5 / 12)
    assert (store["at_risk_90d"], store["at_risk_180d"], store["at_risk_365d"]) == (6, 5, 2)
    assert store["at_risk_730d"] == 1
    assert store["median_survival_days"] == pytest.approx(300)
    marketplace = table.loc["marketplace"]
    # t=50: 3 at risk -> 2/3; t=120: 2 at risk -> 1/3; nobody is observed up to 180 days.
    assert marketplace["survival_90d"] == pytest.approx(2 / 3)
    assert marketplace["at_risk_180d"] == 0 and pd.isna(marketplace["survival_180d"])
    assert marketplace["median_survival_days"] == pytest.approx(120)


def test_survival_beyond_the_observable_lifetime_is_unknown_not_flat() -> None:
    """A loss shows churn_days after the last order: with 865 days of history and churn_days
    365, none can be seen after a lifetime of 500 days, so S(730) is unknown although a
    customer is still observed there (it would stay at its last value, as if nobody ever
    left later); with 400 days of history, none after 35 days."""
    data = _customers().assign(second_channel=None, observable_lifetime_days=500.0)
    table = survival_by_channel(data)
    store = table[(table["channel_of"] == "first") & (table["channel"] == "store")].iloc[0]
    assert store["survival_365d"] == pytest.approx(5 / 12) and pd.isna(store["survival_730d"])
    assert store["at_risk_730d"] == 1
    early = survival_by_group(data, "first_channel", horizons=(30, 90), observable=35)
    assert list(early["survival_30d"]) == [1.0, 1.0]
    assert early["survival_90d"].isna().all()


def test_log_rank_matches_the_hand_computed_statistic() -> None:
    data = _customers()
    # Sum over event times of observed - expected store losses, and its variance.
    observed_minus_expected = variance = 0.0
    for t in sorted(data.loc[data["is_lost"], "lifetime_days"].unique()):
        at_risk = data[data["lifetime_days"] >= t]
        n, n1 = len(at_risk), int((at_risk["first_channel"] == "store").sum())
        died = at_risk[(at_risk["lifetime_days"] == t) & at_risk["is_lost"]]
        d, d1 = len(died), int((died["first_channel"] == "store").sum())
        observed_minus_expected += d1 - d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    statistic = observed_minus_expected**2 / variance
    table = survival_by_group(data, "first_channel")
    assert table["logrank_statistic"].iloc[0] == pytest.approx(statistic)
    assert table["logrank_p_value"].iloc[0] == pytest.approx(math.erfc(math.sqrt(statistic / 2)))


def test_second_channel_curves_leave_one_order_customers_out() -> None:
    data = _customers().assign(second_channel=["web"] * 4 + [None] * 5)
    table = survival_by_channel(data)
    second = table[table["channel_of"] == "second"]
    assert list(second["channel"]) == ["web"] and second["customers"].iloc[0] == 4
    assert second["logrank_p_value"].isna().all()  # one channel: nothing to compare


def test_the_daily_run_fits_survival_between_two_dbt_steps(demo_run: PipelineRun) -> None:
    steps = [e.step_key for e in demo_run.result.all_events if e.event_type_value == "STEP_START"]
    # One @dbt_assets, run in several steps: the features before the fit, the mart after.
    assert steps.count("predictions__channel_survival") == 1
    fit = steps.index("predictions__channel_survival")
    dbt_steps = [i for i, step in enumerate(steps) if step.startswith("scoring_models")]
    assert min(dbt_steps) < fit < max(dbt_steps)
    materialized = [
        e.asset_key.to_user_string() for e in demo_run.result.get_asset_materialization_events()
    ]
    for key in (
        "intermediate/int_customer_channel_journeys",
        "predictions/channel_survival",
        "marts/survival_by_first_channel",
    ):
        assert materialized.count(key) == 1, key
    with duckdb.connect(str(demo_run.layout.published_db), read_only=True) as con:
        rows = con.execute(
            "select channel, customers, survival_365d, logrank_p_value, scoring_date"
            " from survival_by_first_channel where channel_of = 'first'"
        ).fetchall()
    by_channel = {row[0]: row for row in rows}
    assert {"web", "store", "marketplace"} <= set(by_channel)
    assert all(row[4] == SCORING_DATE for row in rows)
    # The demo's store first buyers are loyal, its marketplace first buyers rarely return.
    assert by_channel["store"][2] > by_channel["marketplace"][2] + 0.1
    assert by_channel["store"][3] < 0.05
