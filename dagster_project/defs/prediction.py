"""Customer-base models fitted as assets, between the dbt features and the dbt marts.

- predictions/customer_value: fits MBG/NBD (or BG/NBD, Pareto/NBD) and Gamma-Gamma on
  features.customer_value_features and writes one row of predictions per customer to
  predictions.customer_value; dbt reads it as a source for customer_predictions and
  customer_scores. Blocking checks: the fit converged; its parameters are finite and positive.
- predictions/model_backtest: fits on the history before scoring_date - holdout_days,
  predicts the holdout, and writes how the model and a naive baseline did to
  predictions.model_backtest (one row per scoring date and predictor). Warning check: the
  model beats the baseline on mean absolute error.

The models themselves are in lib/customer_value.py; this module only reads, calls, writes.
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import dagster as dg
import numpy as np
import pandas as pd

from .. import settings
from ..lib import customer_value as cv
from .partitions import one_date_per_run, scoring_dates
from .resources import Warehouse

PREDICTIONS = dg.AssetKey(["predictions", "customer_value"])
BACKTEST = dg.AssetKey(["predictions", "model_backtest"])
FEATURES = dg.AssetKey(["features", "customer_value_features"])
BACKTEST_FEATURES = dg.AssetKey(["features", "customer_value_backtest_features"])


class CustomerValueConfig(dg.Config):
    """Which purchase model to fit (the spend model is always Gamma-Gamma)."""

    purchase_model: Literal["mbgnbd", "bgnbd", "pareto_nbd"] = cv.DEFAULT_PURCHASE_MODEL


def _read(warehouse: Warehouse, features: dg.AssetKey, scoring_date: date) -> pd.DataFrame:
    """A feature table, refused when dbt built it for another scoring date."""
    frame = warehouse.read_table(features, order_by="customer_id")
    dates = {pd.Timestamp(d).date() for d in frame["scoring_date"].unique()}
    if dates - {scoring_date}:
        raise dg.Failure(
            f"{'.'.join(features.path)} is as of {sorted(dates)}, not {scoring_date}: "
            "rebuild the dbt features for this scoring date first (run daily_refresh for it).",
            allow_retries=False,
        )
    return frame


# Blocking here (nothing downstream of a bad fit runs) and gating for publication (a later
# run that reuses the fit's table does not publish it either).
FIT_CHECKS = [
    dg.AssetCheckSpec(
        "fit_converged",
        asset=PREDICTIONS,
        blocking=True,
        description="The purchase and spend models reached the maximum of their likelihood.",
    ),
    dg.AssetCheckSpec(
        "parameters_finite_and_positive",
        asset=PREDICTIONS,
        blocking=True,
        description="Every fitted parameter is a finite positive number.",
    ),
]


def _fit_metadata(fit: cv.Fit, prefix: str) -> dict:
    return {
        **{f"{prefix}_{name}": round(value, 6) for name, value in fit.parameters.items()},
        f"{prefix}_log_likelihood": round(fit.log_likelihood, 3),
        f"{prefix}_customers_fitted": fit.customers,
        f"{prefix}_fit_seconds": round(fit.seconds, 2),
        f"{prefix}_converged": fit.converged,
        f"{prefix}_max_gradient_per_customer": float(f"{fit.max_gradient:.3g}"),
        f"{prefix}_shapes_at_cap": ", ".join(fit.at_cap) or "none",
    }


def _fit_checks(model: cv.CustomerValueModel | None, reason: str) -> list[dg.AssetCheckResult]:
    """Both blocking checks, always emitted (a check without a result would not block)."""
    fits = [model.purchase, model.spend] if model else []
    details = {
        f.model: dg.MetadataValue.json(
            {
                "parameters": f.parameters,
                "max_gradient": f.max_gradient,
                "shapes_at_cap": list(f.at_cap),
                "converged": f.converged,
            }
        )
        for f in fits
    }
    converged = bool(fits) and all(f.converged for f in fits)
    valid = bool(fits) and all(f.parameters_valid for f in fits)
    return [
        dg.AssetCheckResult(
            check_name="fit_converged",
            passed=converged,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None
            if converged
            else reason
            or "The optimiser stopped away from the maximum of the likelihood (gradient "
            f"above {cv.GRADIENT_TOLERANCE} per customer): predictions are not published.",
            metadata=details,
        ),
        dg.AssetCheckResult(
            check_name="parameters_finite_and_positive",
            passed=valid,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None
            if valid
            else reason or "A parameter is zero, negative or not finite: not published.",
            metadata=details,
        ),
    ]


@dg.asset(
    key=PREDICTIONS,
    deps=[FEATURES],
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="prediction",
    kinds={"pymc", "python", "duckdb"},
    pool=settings.WRITER_POOL,
    owners=["team:marketing-analytics"],
    check_specs=FIT_CHECKS,
    description=(
        "predictions.customer_value: per customer with an order, P(alive), expected orders "
        "(90 days, 365 days, each of the next 12 months), P(an order within 90 days), the "
        "expected next order date and the expected order value, from MBG/NBD (or BG/NBD, "
        "Pareto/NBD) and Gamma-Gamma fitted on features.customer_value_features by maximum "
        "likelihood."
    ),
)
def customer_value(
    context: dg.AssetExecutionContext, config: CustomerValueConfig, warehouse: Warehouse
):
    scoring_date = date.fromisoformat(context.partition_key)
    features = _read(warehouse, FEATURES, scoring_date)
    fitted_at = datetime.now(UTC).replace(tzinfo=None)
    version = cv.model_version(config.purchase_model)
    model, reason = None, ""
    if features.empty:
        reason = "No customer has a counted order before the scoring date: nothing to fit."
        predictions = pd.DataFrame({"customer_id": pd.Series([], dtype="string")})
    else:
        try:
            model = cv.fit(features, config.purchase_model)
        except ValueError as exc:
            reason = str(exc)
        predictions = (
            cv.predict(model, features)
            if model
            else pd.DataFrame({"customer_id": features["customer_id"]})
        )
    days = predictions.get("days_to_likely_order", pd.Series(np.nan, index=predictions.index))
    predictions = predictions.assign(
        # Day d of the horizon covers the scoring date + d - 1 (the scoring date is day 1).
        expected_next_order_date=[
            scoring_date + timedelta(days=int(d) - 1) if pd.notna(d) else None for d in days
        ],
        scoring_date=scoring_date,
        purchase_model=config.purchase_model,
        model_version=version,
        fitted_at=fitted_at,
    )
    predictions["expected_next_order_date"] = pd.to_datetime(
        predictions["expected_next_order_date"]
    ).dt.date
    warehouse.replace_table(PREDICTIONS, predictions)
    metadata = {
        "scoring_date": scoring_date.isoformat(),
        "model_version": version,
        "dagster/row_count": len(predictions),
        "customers_fitted": len(features),
    }
    if model:
        metadata |= _fit_metadata(model.purchase, "purchase") | _fit_metadata(model.spend, "spend")
        metadata["population_order_value"] = round(model.population_order_value, 2)
        metadata["mean_p_alive"] = round(float(predictions["p_alive"].mean()), 4)
        metadata["expected_orders_365d_total"] = round(
            float(predictions["expected_orders_365d"].sum()), 1
        )
    else:
        metadata["not_fitted"] = reason
        context.log.warning(f"Customer-base model not fitted: {reason}")
    yield dg.MaterializeResult(metadata=metadata)
    yield from _fit_checks(model, reason)


# predictions.model_backtest, created before anything is fitted so that dbt's source
# (prediction_backtest, published) exists from the first run, fit or no fit.
BACKTEST_TABLE = """
create table if not exists predictions.model_backtest (
    scoring_date date, model varchar, model_version varchar, cutoff_date date,
    holdout_days bigint, customers bigint, mean_absolute_error double,
    predicted_orders double, actual_orders double, share_ordered_again double,
    mean_p_order double, brier_p_order double, mean_p_alive double,
    mean_p_alive_ordered_again double, mean_p_alive_not_ordered double,
    calibration_by_decile varchar, fitted_at timestamp
)
"""


@dg.asset(
    key=BACKTEST,
    deps=[BACKTEST_FEATURES],
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="prediction",
    kinds={"pymc", "python", "duckdb"},
    pool=settings.WRITER_POOL,
    owners=["team:marketing-analytics"],
    check_specs=[
        dg.AssetCheckSpec(
            "beats_naive_baseline",
            asset=BACKTEST,
            description=(
                "On the holdout, the model's mean absolute error of orders per customer is "
                "below the naive baseline's (each customer repeating their past rate)."
            ),
        )
    ],
    description=(
        "predictions.model_backtest: the purchase model fitted on the history before "
        "scoring_date - holdout_days, its predictions for the holdout compared with what "
        "customers did, beside a naive baseline; one row per scoring date and predictor."
    ),
)
def model_backtest(
    context: dg.AssetExecutionContext, config: CustomerValueConfig, warehouse: Warehouse
):
    scoring_date = date.fromisoformat(context.partition_key)
    features = _read(warehouse, BACKTEST_FEATURES, scoring_date)
    with warehouse.connect() as con:
        con.execute("create schema if not exists predictions")
        con.execute(BACKTEST_TABLE)
    if features.empty:
        yield dg.MaterializeResult(
            metadata={"customers": 0, "not_fitted": "No customer ordered before the cutoff."}
        )
        yield dg.AssetCheckResult(
            check_name="beats_naive_baseline",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="No backtest: no customer ordered before the cutoff.",
        )
        return
    holdout_days = int(features["holdout_days"].iloc[0])
    cutoff = pd.Timestamp(features["cutoff_date"].iloc[0]).date()
    model = cv.fit_purchase(features, config.purchase_model)
    customers = cv.backtest_customers(model, features, holdout_days)
    names = {"model": config.purchase_model, "naive": cv.BASELINE}
    summaries = {prefix: cv.backtest_summary(customers, prefix) for prefix in names}
    rows = pd.DataFrame(
        [
            {
                "scoring_date": scoring_date,
                "model": names[prefix],
                "model_version": cv.model_version(config.purchase_model)
                if prefix == "model"
                else cv.BASELINE,
                "cutoff_date": cutoff,
                "holdout_days": holdout_days,
                **{k: v for k, v in s.items() if k != "calibration_by_decile"},
                "calibration_by_decile": json.dumps(s["calibration_by_decile"]),
                "fitted_at": datetime.now(UTC).replace(tzinfo=None),
            }
            for prefix, s in summaries.items()
        ]
    )
    with warehouse.connect() as con:
        con.register("rows", rows)
        con.execute("begin")
        con.execute("delete from predictions.model_backtest where scoring_date = ?", [scoring_date])
        con.execute("insert into predictions.model_backtest by name select * from rows")
        con.execute("commit")
    model_mae = summaries["model"]["mean_absolute_error"]
    naive_mae = summaries["naive"]["mean_absolute_error"]
    yield dg.MaterializeResult(
        metadata={
            "scoring_date": scoring_date.isoformat(),
            "cutoff_date": cutoff.isoformat(),
            "holdout_days": holdout_days,
            **_fit_metadata(model.purchase, "purchase"),
            **{
                f"{prefix}_{k}": round(v, 4)
                for prefix, s in summaries.items()
                for k, v in s.items()
                if isinstance(v, float | int)
            },
            "calibration_by_decile": dg.MetadataValue.md(_calibration_table(summaries)),
        }
    )
    yield dg.AssetCheckResult(
        check_name="beats_naive_baseline",
        passed=bool(model_mae < naive_mae),
        severity=dg.AssetCheckSeverity.WARN,
        description=f"MAE of orders per customer: model {model_mae:.4f}, naive {naive_mae:.4f}",
        metadata={"model_mae": model_mae, "naive_mae": naive_mae},
    )


def _calibration_table(summaries: dict[str, dict]) -> str:
    """Mean predicted and actual orders per decile of predicted orders, as markdown."""
    lines = ["| predictor | decile | customers | predicted | actual |", "|---|---|---|---|---|"]
    for prefix, summary in summaries.items():
        for row in summary["calibration_by_decile"]:
            lines.append(
                f"| {prefix} | {row['decile']} | {row['customers']} "
                f"| {row['predicted']:.3f} | {row['actual']:.3f} |"
            )
    return "\n".join(lines)


defs = dg.Definitions(assets=[customer_value, model_backtest])
