"""The purchase-propensity model on simulated buyers whose chance to buy again is known."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from dagster_project.lib.propensity import fit_propensity, top_decile_lift  # noqa: E402


def _simulated(buyers: int, seed: int) -> pd.DataFrame:
    """Recent, frequent buyers buy again far more often (a logistic truth)."""
    rng = np.random.default_rng(seed)
    rows = []
    for snapshot in ("train", "score"):
        recency = rng.integers(1, 700, buyers)
        frequency = rng.poisson(2, buyers)
        chance = 1 / (1 + np.exp(-(1.0 - recency / 120 + 0.5 * frequency)))
        bought = rng.random(buyers) < chance
        rows.append(
            pd.DataFrame(
                {
                    "snapshot": snapshot,
                    "customer_id": [f"{snapshot}{i}" for i in range(buyers)],
                    "recency_days": recency,
                    "frequency": frequency,
                    "monetary": frequency * 80.0,
                    "orders_total": frequency + 1,
                    "tenure_days": recency + 100,
                    "avg_order_value": 80.0,
                    "campaign_contacts": rng.integers(0, 5, buyers),
                    "campaign_responses": 0,
                    "events_recent": rng.integers(0, 10, buyers),
                    "first_channel": rng.choice(["web", "store", None], buyers),
                    "label": bought if snapshot == "train" else None,
                    "label_orders": np.where(bought, 2, 0) if snapshot == "train" else None,
                    "truth": chance,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_the_model_ranks_and_calibrates_simulated_buyers() -> None:
    data = _simulated(2000, seed=3)
    fit = fit_propensity(data, seed=3)
    assert fit.auc > 0.8 and fit.top_decile_lift > 1.8
    base = fit.base_rate
    assert fit.brier < base * (1 - base)  # better than predicting the base rate
    for point in fit.calibration:  # each fifth of the holdout within 0.1 of what happened
        assert abs(point["predicted"] - point["observed"]) < 0.1
    # Applied to the scoring snapshot, close to the true chance of each buyer.
    score = data[data["snapshot"] == "score"].set_index("customer_id")
    truth = score.loc[fit.scores["customer_id"], "truth"].to_numpy()
    scores = fit.scores["purchase_probability"].to_numpy()
    assert np.corrcoef(truth, scores)[0, 1] > 0.9
    assert fit.orders_per_buyer == pytest.approx(2.0)
    assert fit.scores["expected_orders"].to_numpy() == pytest.approx(2 * scores)
    assert fit.holdout_rows == 500 and fit.train_rows == 1500


def test_without_both_outcomes_everyone_gets_the_observed_rate() -> None:
    data = _simulated(50, seed=1)
    data.loc[data["snapshot"] == "train", "label"] = False
    fit = fit_propensity(data)
    assert fit.auc is None and fit.base_rate == 0
    assert (fit.scores["purchase_probability"] == 0).all() and len(fit.scores) == 50


def test_top_decile_lift_by_hand() -> None:
    labels = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    scores = np.linspace(1, 0, 10)  # the first customer is the top decile
    assert top_decile_lift(labels, scores) == pytest.approx(1 / 0.2)
