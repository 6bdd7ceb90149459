"""Purchase propensity: will a buyer order again within the horizon?

A calibrated logistic regression (scikit-learn) trained on the customers' features as of
`scoring_date - horizon` with the outcome observed since, checked on a holdout of that
snapshot, then applied to the features as of `scoring_date`. Pure functions over
DataFrames: no Dagster, no warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "orders_total",
    "tenure_days",
    "avg_order_value",
    "campaign_contacts",
    "campaign_responses",
    "events_recent",
)
CATEGORICAL_FEATURES = ("first_channel",)
MODEL_VERSION = "propensity-logit-sigmoid-1"


@dataclass(frozen=True)
class PropensityFit:
    """The scores of the scoring snapshot and how well the model did on the holdout."""

    scores: pd.DataFrame  # customer_id, purchase_probability, expected_orders
    auc: float | None
    brier: float | None
    top_decile_lift: float | None
    calibration: list[dict[str, float]]
    orders_per_buyer: float
    train_rows: int
    holdout_rows: int
    base_rate: float


def _model(seed: int, folds: int):
    features = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("channel", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    logit = make_pipeline(features, LogisticRegression(max_iter=1000, random_state=seed))
    return CalibratedClassifierCV(logit, method="sigmoid", cv=folds)


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    data = frame.copy()
    for column in NUMERIC_FEATURES:
        data[column] = pd.to_numeric(data[column], errors="coerce").astype(float).fillna(0.0)
    for column in CATEGORICAL_FEATURES:
        data[column] = data[column].astype(object).where(data[column].notna(), "unknown")
    return data


def top_decile_lift(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Buy rate of the 10% highest scored / overall buy rate (1 = no better than chance)."""
    if len(labels) == 0 or labels.mean() == 0:
        return None
    top = max(1, int(np.ceil(len(labels) / 10)))
    order = np.argsort(-probabilities, kind="stable")[:top]
    return float(labels[order].mean() / labels.mean())


def fit_propensity(features: pd.DataFrame, seed: int = 0) -> PropensityFit:
    """`features` holds a `train` snapshot (with `label` and `label_orders`) and a `score`
    snapshot, one row per customer each (column `snapshot`)."""
    # The warehouse returns rows in no set order: sort them so that the seeded holdout split
    # (and so every probability) is the same for the same data.
    data = _prepare(features).sort_values(["snapshot", "customer_id"], kind="stable")
    train = data[data["snapshot"] == "train"].reset_index(drop=True)
    score = data[data["snapshot"] == "score"].reset_index(drop=True)
    labels = train["label"].astype(int).to_numpy()
    columns = list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)
    buyers = train.loc[labels == 1, "label_orders"].astype(float)
    orders_per_buyer = float(buyers.mean()) if len(buyers) else 1.0
    base_rate = float(labels.mean()) if len(labels) else 0.0
    # Without both outcomes there is nothing to learn: everyone gets the observed rate.
    if len(labels) < 20 or labels.min() == labels.max():
        return PropensityFit(
            scores=_scores(score, np.full(len(score), base_rate), orders_per_buyer),
            auc=None,
            brier=None,
            top_decile_lift=None,
            calibration=[],
            orders_per_buyer=orders_per_buyer,
            train_rows=len(train),
            holdout_rows=0,
            base_rate=base_rate,
        )
    fit_part, holdout = train_test_split(train, test_size=0.25, random_state=seed, stratify=labels)
    folds = int(min(5, np.bincount(fit_part["label"].astype(int)).min()))
    model = _model(seed, max(2, folds)).fit(fit_part[columns], fit_part["label"].astype(int))
    truth = holdout["label"].astype(int).to_numpy()
    predicted = model.predict_proba(holdout[columns])[:, 1]
    observed, expected = calibration_curve(truth, predicted, n_bins=5, strategy="quantile")
    final = _model(seed, max(2, int(min(5, np.bincount(labels).min())))).fit(train[columns], labels)
    probabilities = final.predict_proba(score[columns])[:, 1] if len(score) else np.array([])
    return PropensityFit(
        scores=_scores(score, probabilities, orders_per_buyer),
        auc=float(roc_auc_score(truth, predicted)) if truth.min() != truth.max() else None,
        brier=float(brier_score_loss(truth, predicted)),
        top_decile_lift=top_decile_lift(truth, predicted),
        calibration=[
            {"predicted": float(e), "observed": float(o)}
            for e, o in zip(expected, observed, strict=True)
        ],
        orders_per_buyer=orders_per_buyer,
        train_rows=len(fit_part),
        holdout_rows=len(holdout),
        base_rate=base_rate,
    )


def _scores(score: pd.DataFrame, probabilities: np.ndarray, orders_per_buyer: float):
    return pd.DataFrame(
        {
            "customer_id": score["customer_id"].astype(str),
            "purchase_probability": probabilities.astype(float),
            "expected_orders": probabilities.astype(float) * orders_per_buyer,
        }
    )
