"""Prediction: fitting BG/NBD (pymc-marketing, the project's code path) and scoring every
customer, against a plain scipy maximum-likelihood fit of the same likelihood.

Data: 1 million customers (times `--scale`) simulated from known BG/NBD parameters, days
as the unit (as the dbt features give them), written to Parquet (preparation, not
measured). Measured, each in a fresh process:

* ours, fit: `customer_value.fit_purchase` (MAP with flat priors = maximum likelihood).
* ours, score: `customer_value.predict` needs the spend model too: Gamma-Gamma is fitted
  and every output computed (P(alive), expected orders 90/365 days and per month,
  P(order in 90 days), days to the likely next order, expected order value).
* baseline: the BG/NBD log-likelihood written out in numpy and maximised with
  scipy.optimize (L-BFGS-B on the log-parameters), about 30 lines.

Correctness: both fits must give the same parameters (within 0.1 %).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.warehouse import quote_literal

from ._measure import Comparison, measure, print_ratio, quiet, scaled, timed

CUSTOMERS = 1_000_000
TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}


def simulate(path: Path, customers: int, seed: int = 20261101) -> None:
    """BG/NBD customers, every customer stepped at once (one numpy pass per purchase)."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(30, 720, customers)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], customers)
    dropout = rng.beta(TRUE["a"], TRUE["b"], customers)
    frequency, recency, clock = np.zeros(customers, int), np.zeros(customers), np.zeros(customers)
    active = np.ones(customers, bool)
    while active.any():
        index = np.flatnonzero(active)
        clock[index] += rng.exponential(1 / rate[index])
        bought = clock[index] <= tenure[index]
        buyers = index[bought]
        frequency[buyers] += 1
        recency[buyers] = clock[buyers]
        active[index[~bought]] = False
        active[buyers[rng.random(len(buyers)) < dropout[buyers]]] = False
    nu = rng.gamma(4.0, 1 / 15.0, customers)
    totals = rng.gamma(np.maximum(frequency, 1) * 6.0, 1 / nu)
    frame = pd.DataFrame(
        {
            "customer_id": np.char.add("c", np.arange(customers).astype(str)),
            "frequency": frequency,
            "recency_days": recency,
            "tenure_days": tenure,
            "mean_repeat_order_value": np.where(
                frequency > 0, totals / np.maximum(frequency, 1), np.nan
            ),
        }
    )
    with quiet(duckdb.connect()) as con:
        con.register("frame", frame)
        con.execute(f"copy frame to {quote_literal(str(path))} (format parquet)")


def read(path: str) -> pd.DataFrame:
    with quiet(duckdb.connect()) as con:
        return con.execute(f"select * from read_parquet({quote_literal(path)})").df()


def ours_fit(path: str) -> dict:
    from dagster_project.lib import customer_value as cv

    features = read(path)
    return cv.fit_purchase(features, "bgnbd").purchase.parameters


def ours_fit_and_score(path: str) -> tuple[float, float]:
    from dagster_project.lib import customer_value as cv

    features = read(path)
    started = time.perf_counter()
    model = cv.fit(features, "bgnbd")
    fitted = time.perf_counter()
    predictions = cv.predict(model, features)
    assert len(predictions) == len(features)
    return fitted - started, time.perf_counter() - fitted


def scipy_fit(path: str) -> dict:
    """The BG/NBD likelihood (Fader, Hardie & Lee 2005, eq. 6) maximised by scipy."""
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln

    features = read(path)
    x = features["frequency"].to_numpy(float)
    t_x = features["recency_days"].to_numpy(float)
    big_t = features["tenure_days"].to_numpy(float)
    repeat = x > 0

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        stay = betaln(a, b + x) - (r + x) * np.log(alpha + big_t)
        leave = np.full_like(x, -np.inf)
        leave[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(
            alpha + t_x[repeat]
        )
        return -float(np.sum(common + np.logaddexp(stay, leave)))

    start = np.log([1.0, 1.0, 1.0, 1.0])
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B")
    return dict(zip(("r", "alpha", "a", "b"), np.exp(result.x).tolist(), strict=True))


def run(work_dir: Path, scale: float) -> list[Comparison]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    customers = scaled(CUSTOMERS, scale, minimum=1000)
    path = work_dir / "customer_value_features.parquet"
    print(f"\n== Prediction: BG/NBD + Gamma-Gamma on {customers:,} customers", flush=True)
    timed("simulate features (numpy)", simulate, path, customers)
    ours = measure("fit BG/NBD (pymc-marketing)", customers, ours_fit, str(path))
    baseline = measure("fit BG/NBD (scipy baseline)", customers, scipy_fit, str(path))
    comparison = Comparison("prediction (BG/NBD fit)", ours, baseline)
    print_ratio(comparison)
    for name in TRUE:
        print(
            f"    {name:<6} ours {ours.result[name]:.4f}  scipy {baseline.result[name]:.4f}"
            f"  simulated with {TRUE[name]}",
            flush=True,
        )
    differ = [n for n in TRUE if abs(ours.result[n] / baseline.result[n] - 1) > 1e-3]
    if differ:
        raise SystemExit(f"prediction: pymc-marketing and scipy disagree on {differ}")
    whole = measure("fit both models + score everyone", customers, ours_fit_and_score, str(path))
    fit_seconds, score_seconds = whole.result
    print(f"    of which fit {fit_seconds:.1f} s, scoring {score_seconds:.1f} s", flush=True)
    return [comparison]
