"""Customers simulated from known BG/NBD parameters (daily time), for recovery tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bgnbd(
    customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    seed: int,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 15.0,
    dropout_at_first: bool = False,
) -> pd.DataFrame:
    """Features as the dbt model gives them: BG/NBD purchases over each customer's tenure
    (continuous time, whole days not rounded), Gamma-Gamma order values. With
    `dropout_at_first`, MBG/NBD's: a customer may also drop out right after the first
    purchase."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(30, 720, customers)
    rate = rng.gamma(r, 1 / alpha, customers)
    dropout = rng.beta(a, b, customers)
    frequency = np.zeros(customers, dtype=int)
    recency = np.zeros(customers)
    for i in range(customers):
        t = 0.0
        if dropout_at_first and rng.random() < dropout[i]:
            continue
        while True:
            t += rng.exponential(1 / rate[i])
            if t > tenure[i]:
                break
            frequency[i] += 1
            recency[i] = t
            if rng.random() < dropout[i]:
                break
    # Gamma-Gamma: a customer's mean order value has scale nu ~ Gamma(q, v); orders Gamma(p, nu).
    nu = rng.gamma(q, 1 / v, customers)
    totals = rng.gamma(np.maximum(frequency, 1) * p, 1 / nu)
    mean_value = np.where(frequency > 0, totals / np.maximum(frequency, 1), np.nan)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:06d}" for i in range(customers)],
            "frequency": frequency,
            "recency_days": recency,
            "tenure_days": tenure,
            "mean_repeat_order_value": mean_value,
        }
    )
