"""The purchase-propensity model, fitted in Python between two dbt steps of the run.

Reads the dbt feature model `intermediate.int_customer_propensity_features` (a training
snapshot as of scoring_date - propensity_horizon_days with the outcome observed since, and
the scoring snapshot), fits a calibrated logistic regression (lib/propensity.py) and writes
`predictions.purchase_propensity`, which dbt reads as a source to cut the predictive
groups A, B, C...
"""

import json
from datetime import date

import dagster as dg
from threadpoolctl import threadpool_limits

from .. import settings
from ..lib import propensity
from .partitions import one_date_per_run, scoring_dates
from .resources import Warehouse

FEATURES = dg.AssetKey(["intermediate", "int_customer_propensity_features"])
TABLE = dg.AssetKey(["predictions", "purchase_propensity"])
MIN_AUC = 0.6
SEED = 20261129


@dg.asset(
    key=TABLE,
    deps=[FEATURES],
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="prediction",
    kinds={"python", "scikitlearn", "duckdb"},
    pool=settings.WRITER_POOL,
    owners=["team:marketing-analytics"],
    check_specs=[
        dg.AssetCheckSpec(
            "holdout_auc_at_least_0_6",
            asset=TABLE,
            description=f"Warns when the holdout AUC is below {MIN_AUC} (or cannot be measured).",
        )
    ],
    description=(
        "Probability that each buyer orders within propensity_horizon_days of the scoring "
        "date (calibrated logistic regression trained on the snapshot one horizon earlier), "
        "with AUC, Brier score, top-decile lift and calibration on a holdout in metadata."
    ),
)
def purchase_propensity(context: dg.AssetExecutionContext, warehouse: Warehouse):
    scoring_date = date.fromisoformat(context.partition_key)
    features = warehouse.read_table(FEATURES)
    # Thread oversubscription makes scikit-learn crawl on small shared machines; the OpenMP
    # runtime is loaded with scikit-learn, too early for OMP_NUM_THREADS to be set here.
    with threadpool_limits(limits=1):
        fit = propensity.fit_propensity(features, seed=SEED)
    table = fit.scores.assign(scoring_date=scoring_date, model_version=propensity.MODEL_VERSION)
    warehouse.replace_table(TABLE, table)
    measured = fit.auc is not None
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "model_version": propensity.MODEL_VERSION,
            "train_rows": fit.train_rows,
            "holdout_rows": fit.holdout_rows,
            "base_rate": fit.base_rate,
            "holdout_auc": fit.auc,
            "holdout_brier": fit.brier,
            "holdout_top_decile_lift": fit.top_decile_lift,
            "orders_per_buyer": fit.orders_per_buyer,
            "calibration": dg.MetadataValue.json(json.loads(json.dumps(fit.calibration))),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="holdout_auc_at_least_0_6",
                passed=measured and fit.auc >= MIN_AUC,
                severity=dg.AssetCheckSeverity.WARN,
                description=None
                if measured and fit.auc >= MIN_AUC
                else (
                    f"Holdout AUC {fit.auc:.3f} is below {MIN_AUC}: the groups rank customers "
                    "little better than chance."
                    if measured
                    else "AUC not measured: too few buyers, or all or none bought again."
                ),
                metadata={"holdout_auc": fit.auc, "min_auc": MIN_AUC},
            )
        ],
    )


defs = dg.Definitions(assets=[purchase_propensity])
