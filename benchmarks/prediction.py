"""Prediction: fitting MBG/NBD, the default purchase model (pymc-marketing, the project's
code path), and scoring every customer, against a plain scipy maximum-likelihood fit of
the same likelihood.

Data: the features the Dagster asset fits on (`features.customer_value_features`, one row
per customer with a counted order, days as the unit), exported to Parquet (preparation,
not measured), from the scoring benchmark's warehouse as it left it when it ran before in
the same invocation; else from its raw tables generated here (1 million CRM customers and
20 million order lines, times `--scale`; interactions are not needed) and `dbt run
--select +customer_value_features`.
Measured, each in a fresh process:

* ours, fit: `customer_value.fit_purchase` (MAP with flat priors = maximum likelihood).
* ours, score: `customer_value.predict` needs the spend model too: Gamma-Gamma is fitted
  and every output computed (P(alive), expected orders 90/365 days and per month,
  P(order in 90 days), days to the likely next order, expected order value).
* baseline: the MBG/NBD log-likelihood written out in numpy and maximised with
  scipy.optimize (L-BFGS-B on the log-parameters), about 30 lines.

Correctness: our fit must reach a log-likelihood at least as high as the baseline's (less
1e-5 per customer). The generated orders carry little dropout, so MBG/NBD's a and b run off
along a ridge (their ratio, the dropout probability, settles while both grow) where two
optimisers stop at different (a, b) with nearly the same likelihood: parameter recovery is
checked by the tests, on data simulated from known parameters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.warehouse import quote_literal

from . import scoring
from ._measure import Comparison, GiB, measure, print_ratio, quiet, scaled, timed
from ._targets import Target

# How far below the baseline's log-likelihood ours may end, per customer (the project's own
# convergence test accepts a mean change of 1e-5 for a 1 % move of any parameter).
TOLERANCE = 1e-5


def prepare(work_dir: Path, scale: float) -> tuple[Path, int]:
    """The dbt features of the scoring benchmark's data, as Parquet."""
    warehouse = scoring.built_warehouse_dir(work_dir) / "warehouse.duckdb"
    if warehouse.exists():
        print("  features from the scoring benchmark's warehouse", flush=True)
    else:
        warehouse, target = work_dir / "warehouse.duckdb", str(work_dir / "dbt-target")
        customers = scaled(scoring.CUSTOMERS, scale, minimum=100)
        lines = scaled(scoring.LINES, scale, minimum=1000)
        timed("generate raw.* (DuckDB SQL)", scoring.generate, warehouse, customers, lines, 0)
        timed("dbt seed", scoring.run_dbt, ["seed"], str(warehouse), target)
        features_command = ["run", "--select", "+customer_value_features"]
        timed("dbt run +customer_value_features", scoring.run_dbt, features_command,
              str(warehouse), target)  # fmt: skip
    path = work_dir / "customer_value_features.parquet"
    # In the order the Dagster asset reads them (defs/prediction.py): the optimiser's path,
    # and on a likelihood ridge where it stops, follow the order of the rows.
    with quiet(duckdb.connect(str(warehouse), read_only=True)) as con:
        con.execute(
            "copy (select customer_id, frequency, recency_days, tenure_days, "
            "mean_repeat_order_value from features.customer_value_features "
            f"order by customer_id) to {quote_literal(str(path))} (format parquet)"
        )
        fitted = con.execute(f"select count(*) from {quote_literal(str(path))}").fetchone()[0]
    return path, fitted


def read(path: str) -> pd.DataFrame:
    with quiet(duckdb.connect()) as con:
        return con.execute(f"select * from read_parquet({quote_literal(path)})").df()


def ours_fit(path: str) -> tuple[dict, float]:
    from dagster_project.lib import customer_value as cv

    fit = cv.fit_purchase(read(path)).purchase
    return fit.parameters, fit.log_likelihood


def ours_fit_and_score(path: str) -> tuple[float, float]:
    from dagster_project.lib import customer_value as cv

    features = read(path)
    started = time.perf_counter()
    model = cv.fit(features)
    fitted = time.perf_counter()
    predictions = cv.predict(model, features)
    assert len(predictions) == len(features)
    return fitted - started, time.perf_counter() - fitted


def scipy_fit(path: str) -> tuple[dict, float]:
    """The MBG/NBD likelihood (Batislam, Denizel & Filiztekin 2007) maximised by scipy: as
    BG/NBD's (Fader, Hardie & Lee 2005, eq. 6), with a dropout chance after the first
    purchase too."""
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln

    features = read(path)
    x = features["frequency"].to_numpy(float)
    t_x = features["recency_days"].to_numpy(float)
    big_t = features["tenure_days"].to_numpy(float)

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        stay = betaln(a, b + x + 1) - (r + x) * np.log(alpha + big_t)
        leave = betaln(a + 1, b + x) - (r + x) * np.log(alpha + t_x)
        return -float(np.sum(common + np.logaddexp(stay, leave)))

    # Bounded log-parameters (e^-10 to e^15): on a ridge that runs to infinity an unbounded
    # line search overflows to NaN; at e^15 the likelihood is that of the limit.
    start = np.log([1.0, 1.0, 1.0, 1.0])
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B", bounds=[(-10, 15)] * 4)
    parameters = dict(zip(("r", "alpha", "a", "b"), np.exp(result.x).tolist(), strict=True))
    return parameters, -float(result.fun)


def run(work_dir: Path, scale: float) -> list[Comparison]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print("\n== Prediction: MBG/NBD + Gamma-Gamma on the scoring benchmark's customers", flush=True)
    path, customers = prepare(work_dir, scale)
    print(f"  {customers:,} customers with a counted order", flush=True)
    ours = measure("fit MBG/NBD (pymc-marketing)", customers, ours_fit, str(path))
    baseline = measure("fit MBG/NBD (scipy baseline)", customers, scipy_fit, str(path))
    # The targets: the fit within 2x the scipy baseline's time, at most 4 GiB.
    target = Target(time_ratio=2, memory_ratio=None, peak_bytes=4 * GiB)
    comparison = Comparison("prediction (MBG/NBD fit)", ours, baseline, target=target)
    print_ratio(comparison)
    (ours_parameters, ours_maximum) = ours.result
    (scipy_parameters, scipy_maximum) = baseline.result
    for name, value in ours_parameters.items():
        print(f"    {name:<6} ours {value:.4f}  scipy {scipy_parameters[name]:.4f}", flush=True)
    ahead = (ours_maximum - scipy_maximum) / customers
    print(
        f"    log-likelihood ours {ours_maximum:.2f}  scipy {scipy_maximum:.2f}"
        f"  (ours {ahead:+.1e} per customer)",
        flush=True,
    )
    if not np.isfinite(ahead) or ahead < -TOLERANCE:
        raise SystemExit("prediction: pymc-marketing stopped below the scipy baseline's maximum")
    whole = measure("fit both models + score everyone", customers, ours_fit_and_score, str(path))
    fit_seconds, score_seconds = whole.result
    print(f"    of which fit {fit_seconds:.1f} s, scoring {score_seconds:.1f} s", flush=True)
    # Fitting and scoring everyone at most 4 GiB too (its time is shown, not compared).
    scoring_target = Target(time_ratio=None, memory_ratio=None, peak_bytes=4 * GiB)
    scored = Comparison("prediction (fit + score)", whole, baseline, target=scoring_target)
    return [comparison, scored]
