"""R, F and M recomputed in plain pandas from the landing CSV files, as the README defines them.

An independent second implementation: if dbt and this disagree for any customer, one of
them is wrong. It assumes clean demo data (no quarantined rows) in canonical columns.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd


def _read(landing: Path, source: str) -> pd.DataFrame:
    files = sorted((landing / source).glob("*.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])


def customer_of_reference(landing: Path) -> dict[str, str]:
    """customer_ref (normalised) -> customer_id: CRM id first, then CRM e-mail."""
    crm = _read(landing, "crm_customers")
    by_email = {
        e.strip().lower(): cid
        for cid, e in sorted(zip(crm.customer_id, crm.email, strict=True), reverse=True)
        if e.strip()
    }
    by_id = {cid.strip().lower(): cid for cid in crm.customer_id}
    return {**by_email, **by_id}


def counted_orders(landing: Path, scoring_date: date) -> pd.DataFrame:
    """Counted orders before the scoring date: order_id -> customer_id, day, net."""
    lines = _read(landing, "transactions")
    amount = lines.quantity.astype(float) * lines.unit_price.astype(float) - lines.discount.replace(
        "", "0"
    ).astype(float)
    sign = lines.status.map({"completed": 1, "returned": -1, "cancelled": 0})
    lines = lines.assign(
        net=amount.abs().where(sign < 0, amount) * sign,
        day=pd.to_datetime(lines.order_ts).dt.date,
        ref=lines.customer_ref.str.strip().str.lower(),
    )
    lines = lines[lines.day < scoring_date]
    known = customer_of_reference(landing)
    lines = lines.assign(customer_id=lines.ref.map(lambda r: known.get(r, f"guest:{r}")))
    orders = lines.groupby("order_id").agg(
        customer_id=("customer_id", "min"), day=("day", "min"), net=("net", "sum")
    )
    return orders[orders.net > 0]


def rfm(landing: Path, scoring_date: date, lookback_days: int | None = None) -> pd.DataFrame:
    """One row per scored customer: recency_days, frequency, monetary, r/f/m scores.

    Frequency and monetary over all history before the scoring date (the default of
    var rfm_lookback_days), or over the last `lookback_days` days.
    """
    orders = counted_orders(landing, scoring_date)
    window = orders
    if lookback_days is not None:
        window = orders[orders.day >= scoring_date - timedelta(days=lookback_days)]
    per_customer = pd.DataFrame(
        {
            "recency_days": orders.groupby("customer_id")
            .day.max()
            .map(lambda d: (scoring_date - d).days),
            "frequency": window.groupby("customer_id").size(),
            "monetary": window.groupby("customer_id").net.sum(),
        }
    ).fillna({"frequency": 0, "monetary": 0.0})
    n = len(per_customer)

    def score(values: pd.Series, ascending: bool) -> pd.Series:
        ranks = values.rank(method="min", ascending=ascending).astype(int)
        return 1 + (5 * (ranks - 1)) // n

    return per_customer.assign(
        frequency=per_customer.frequency.astype(int),
        r_score=score(per_customer.recency_days, ascending=False),
        f_score=score(per_customer.frequency, ascending=True),
        m_score=score(per_customer.monetary.round(2), ascending=True),
    ).sort_index()
