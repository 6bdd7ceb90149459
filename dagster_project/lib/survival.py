"""Kaplan-Meier retention curves by acquisition channel, and a log-rank test across them.

Pure functions over DataFrames (no Dagster, no warehouse): one row per customer with a
lifetime in days and whether the customer is lost (the event) or still active (censored).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd

HORIZONS = (90, 180, 365, 730)


@contextmanager
def _quiet_lifelines() -> Iterator[None]:
    """lifelines 0.30 calls pandas APIs that pandas 3 deprecates (Pandas4Warning): silence
    that warning around lifelines calls only, not for the rest of the process."""
    category = getattr(pd.errors, "Pandas4Warning", None)
    with warnings.catch_warnings():
        if category is not None:
            warnings.filterwarnings("ignore", category=category)  # noqa: TID251
        yield


with _quiet_lifelines():
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test


def survival_by_group(
    customers: pd.DataFrame,
    group_column: str,
    duration_column: str = "lifetime_days",
    event_column: str = "is_lost",
    horizons: Sequence[int] = HORIZONS,
    observable: float | None = None,
) -> pd.DataFrame:
    """One row per value of `group_column`: customers, lost, S(t) and customers at risk at
    each horizon (S(t) is null once nobody is at risk any more, or beyond `observable`, the
    longest duration at which an event can be seen), median survival in days (null while
    the curve stays above one half), and the log-rank test across the groups (the same
    statistic and p-value on every row; null with fewer than two groups)."""
    data = customers.dropna(subset=[group_column])
    durations = data[duration_column].astype(float)
    events = data[event_column].astype(bool)
    test_statistic = p_value = None
    with _quiet_lifelines():
        if data[group_column].nunique() >= 2:
            test = multivariate_logrank_test(durations, data[group_column], events)
            test_statistic, p_value = float(test.test_statistic), float(test.p_value)
        rows = []
        for group, part in data.groupby(group_column, sort=True):
            fitter = KaplanMeierFitter().fit(
                part[duration_column].astype(float), part[event_column].astype(bool)
            )
            median = float(fitter.median_survival_time_)
            row = {
                "channel": group,
                "customers": len(part),
                "lost": int(part[event_column].sum()),
                "median_survival_days": median if math.isfinite(median) else None,
            }
            for horizon in horizons:
                at_risk = int((part[duration_column] >= horizon).sum())
                survival = float(fitter.survival_function_at_times(horizon).iloc[0])
                seen = at_risk and (observable is None or horizon <= observable)
                row[f"survival_{horizon}d"] = survival if seen else None
                row[f"at_risk_{horizon}d"] = at_risk
            rows.append(row)
    # Typed columns even without any customer (a date before the first order), so the table
    # written for dbt keeps its schema.
    types = {"channel": "object", "customers": "int64", "lost": "int64"}
    types["median_survival_days"] = "float64"
    for horizon in horizons:
        types[f"survival_{horizon}d"] = "float64"
        types[f"at_risk_{horizon}d"] = "int64"
    table = pd.DataFrame(rows, columns=list(types)).astype(types)
    table["logrank_statistic"] = pd.Series(test_statistic, index=table.index, dtype="float64")
    table["logrank_p_value"] = pd.Series(p_value, index=table.index, dtype="float64")
    return table


def survival_by_channel(customers: pd.DataFrame) -> pd.DataFrame:
    """Curves by the channel of the first order and, for repeat buyers, of the second, up
    to the longest lifetime at which a loss can be seen (`observable_lifetime_days`)."""
    observable = None
    if "observable_lifetime_days" in customers and len(customers):
        observable = float(customers["observable_lifetime_days"].min())
    parts = []
    for order, column in (("first", "first_channel"), ("second", "second_channel")):
        table = survival_by_group(customers, column, observable=observable)
        table.insert(0, "channel_of", order)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)
