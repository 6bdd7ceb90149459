"""Survival of customers by the channel of their first (and second) order, fitted in Python.

Reads the dbt feature model `intermediate.int_customer_channel_journeys`, fits Kaplan-Meier
curves and a log-rank test (lib/survival.py), and writes `predictions.channel_survival`,
which dbt reads as a source (its meta.dagster.asset_key names this asset) to build the
published mart `survival_by_first_channel`. Dagster runs the dbt graph in two steps around
this asset within one run, because the dbt assets can be subset.
"""

import json
from datetime import date

import dagster as dg

from .. import settings
from ..lib import survival
from .partitions import one_date_per_run, scoring_dates
from .resources import Warehouse

FEATURES = dg.AssetKey(["intermediate", "int_customer_channel_journeys"])
TABLE = dg.AssetKey(["predictions", "channel_survival"])


@dg.asset(
    key=TABLE,
    deps=[FEATURES],
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="prediction",
    kinds={"python", "duckdb"},
    pool=settings.WRITER_POOL,
    owners=["team:marketing-analytics"],
    description=(
        "Kaplan-Meier retention by channel of the first and of the second order (lifelines), "
        "with S(t) at 90/180/365/730 days, median survival, customers at risk and a log-rank "
        "test across channels, as of the scoring date."
    ),
)
def channel_survival(context: dg.AssetExecutionContext, warehouse: Warehouse):
    scoring_date = date.fromisoformat(context.partition_key)
    customers = warehouse.read_table(FEATURES)
    table = survival.survival_by_channel(customers)
    table["scoring_date"] = scoring_date
    warehouse.replace_table(TABLE, table)
    first = table[table["channel_of"] == "first"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "customers": int(first["customers"].sum()),
            "lost": int(first["lost"].sum()),
            "logrank_p_value_first_channel": _number(first["logrank_p_value"].iloc[0])
            if len(first)
            else None,
            "curves_by_first_channel": dg.MetadataValue.json(
                json.loads(first.drop(columns="scoring_date").to_json(orient="records"))
            ),
        }
    )


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)


defs = dg.Definitions(assets=[channel_survival])
