"""Customer-base models: who is still a customer, how often and for how much they will buy.

MBG/NBD (Batislam, Denizel & Filiztekin 2007; the default), BG/NBD (Fader, Hardie & Lee
2005) or Pareto/NBD for the purchase process, Gamma-Gamma for the spend per order, from
pymc-marketing, fitted by maximum a posteriori with flat priors (which is maximum
likelihood). Pure functions over DataFrames: the Dagster assets only read
the dbt features, call these, and write the result. Every time is in days.

Input columns (one row per customer with at least one counted order): `customer_id`,
`frequency` (repeat purchase days), `recency_days` (first to last purchase day),
`tenure_days` (first purchase day to the scoring date, T in the literature) and
`mean_repeat_order_value` (null without a repeat purchase).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from importlib.metadata import version

import numpy as np
import pandas as pd
from scipy.special import betaln

# MBG/NBD by default: BG/NBD lets a customer drop out only right after a repeat purchase, so
# every one-time buyer is certainly alive (P(alive) = 1) however long ago they bought, which
# a marketer reads as "no churn risk"; MBG/NBD also lets them drop out after the first
# purchase, at BG/NBD's cost (Pareto/NBD, which has no such quirk either, took 5 to 10
# times as long to fit and score 100,000 customers).
DEFAULT_PURCHASE_MODEL = "mbgnbd"
PURCHASE_PARAMETERS = {
    "mbgnbd": ("r", "alpha", "a", "b"),
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
}
SPEND_PARAMETERS = ("p", "q", "v")
DAYS_PER_MONTH = 365 / 12
HORIZON_MONTHS = 12
HORIZON_DAYS = 365
# Largest |d log-likelihood / d log(parameter)| per customer accepted as an optimum: moving
# any parameter by 1 % then changes the mean log-likelihood by less than 1e-5.
GRADIENT_TOLERANCE = 1e-3
# The shapes of the heterogeneity distributions (Gamma rates, Beta dropout, Gamma spend) are
# capped here: a shape above it is a point mass for every practical purpose (coefficient of
# variation at most 1e-3). Where customers barely differ in, say, dropout, the likelihood
# keeps rising as a and b grow together (a ridge, a/(a+b) fixed) and an unbounded optimiser
# followed it until floating point gave way (a = 1e30, a positive log-likelihood), or
# stopped somewhere on it depending on the rows' order. Capped, it stops on the ridge or at
# the cap, with the predictions of the limit model either way.
SHAPE_CAP = 1e6
SHAPE_PARAMETERS = frozenset({"r", "a", "b", "s", "p", "q"})
# Along such a ridge L-BFGS-B's picture of the curvature can go stale and it stops short
# (its steps no longer reduce the objective), the gradient still above a tenth of the
# tolerance; started again from there with a fresh picture, it goes on. This many times.
RESTARTS = 2
MODEL_VERSION = "3"  # 2: shapes capped at SHAPE_CAP; 3: spend fitted in its mean's unit


def model_version(purchase_model: str) -> str:
    """What produced a prediction: model pair, this code's version and the library's."""
    return (
        f"{purchase_model}+gamma_gamma v{MODEL_VERSION} "
        f"(pymc-marketing {version('pymc-marketing')})"
    )


@dataclass(frozen=True)
class Fit:
    """One fitted model: its parameters and what an engineer needs to trust them."""

    model: str
    parameters: dict[str, float]
    log_likelihood: float
    customers: int
    seconds: float
    max_gradient: float  # largest |gradient| per customer at the optimum, in log-parameters
    at_cap: tuple[str, ...] = ()  # shapes held at SHAPE_CAP (the likelihood rises beyond)

    @property
    def parameters_valid(self) -> bool:
        return all(math.isfinite(v) and v > 0 for v in self.parameters.values())

    @property
    def converged(self) -> bool:
        return (
            self.parameters_valid
            and math.isfinite(self.log_likelihood)
            and self.max_gradient <= GRADIENT_TOLERANCE
        )


@dataclass
class CustomerValueModel:
    """A fitted purchase model and (unless fitted alone) spend model, ready to predict."""

    purchase: Fit
    spend: Fit | None
    _purchase_model: object = field(repr=False)
    _spend_model: object = field(repr=False)

    @property
    def population_order_value(self) -> float:
        """Expected order value of a customer without repeat purchase: p v / (q - 1)."""
        p, q, v = (self.spend.parameters[k] for k in SPEND_PARAMETERS)
        return p * v / (q - 1) if q > 1 else math.nan


def _quiet_pymc() -> None:
    for name in ("pymc", "pytensor", "pymc_marketing"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _fit_map(model, data: pd.DataFrame, names: tuple[str, ...], label: str) -> Fit:
    """Maximum likelihood (MAP with flat priors), shapes capped at SHAPE_CAP: L-BFGS-B on
    the model's compiled log-likelihood, as pymc's `find_MAP` runs it, but per customer
    (the mean), so that its gradient test is `Fit.converged`'s (a tenth of the tolerance).
    The caller records the parameters on the model (`_record`)."""
    from scipy.optimize import minimize

    started = time.perf_counter()
    model.build_model(data)
    pm_model = model.model
    value_vars = [var.name for var in pm_model.value_vars]
    parameter = [name.removesuffix("_log__") for name in value_vars]
    capped = np.array([name in SHAPE_PARAMETERS for name in parameter])
    log_cap = math.log(SHAPE_CAP)
    # One compiled function for the log-likelihood and its gradient: they share most terms.
    log_likelihood_and_gradient = pm_model.compile_fn(
        [pm_model.logp(jacobian=False), pm_model.dlogp(jacobian=False)]
    )
    customers = max(len(data), 1)

    def cost(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = log_likelihood_and_gradient(dict(zip(value_vars, x, strict=True)))
        return -float(value) / customers, -gradient / customers

    def largest(gradient: np.ndarray, x: np.ndarray) -> float:
        """Largest |gradient| per customer, a shape at its cap aside when the likelihood
        still rises beyond it (where the fit belongs)."""
        rising_beyond_cap = at_cap(x) & (gradient < 0)
        return float(np.max(np.abs(np.where(rising_beyond_cap, 0.0, gradient))))

    def at_cap(x: np.ndarray) -> np.ndarray:
        return capped & (x >= log_cap)

    initial = pm_model.initial_point()
    x = np.array([initial[name] for name in value_vars], dtype=float)
    for _ in range(1 + RESTARTS):
        result = minimize(
            cost,
            x,
            jac=True,
            method="L-BFGS-B",
            bounds=[(None, log_cap) if c else (None, None) for c in capped],
            options={"gtol": GRADIENT_TOLERANCE / 10, "ftol": 1e-12},
        )
        x, mean_cost, gradient = result.x, result.fun, result.jac
        if not np.all(np.isfinite(x)) or largest(gradient, x) <= GRADIENT_TOLERANCE / 10:
            break
    parameters = {name: float(np.exp(value)) for name, value in zip(parameter, x, strict=True)}
    return Fit(
        model=label,
        parameters={k: parameters[k] for k in names},
        log_likelihood=-mean_cost * customers,
        customers=len(data),
        seconds=time.perf_counter() - started,
        max_gradient=largest(gradient, x),
        at_cap=tuple(name for name, held in zip(parameter, at_cap(x), strict=True) if held),
    )


def _record(model, parameters: dict[str, float]) -> None:
    """Set a model's parameters: a MAP fit's posterior is one draw (what pymc-marketing's
    own MAP fit records, without compiling the likelihood a second time)."""
    import arviz as az

    model.fit_result = az.from_dict(
        posterior={k: np.full((1, 1), v) for k, v in parameters.items()}
    )


def purchase_data(features: pd.DataFrame) -> pd.DataFrame:
    """The purchase model's columns, under pymc-marketing's names."""
    return pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(),
            "frequency": features["frequency"].to_numpy(dtype=float),
            "recency": features["recency_days"].to_numpy(dtype=float),
            "T": features["tenure_days"].to_numpy(dtype=float),
        }
    )


def spend_data(features: pd.DataFrame) -> pd.DataFrame:
    """Customers the spend model learns from: a repeat purchase and a positive mean value."""
    value = pd.to_numeric(features["mean_repeat_order_value"], errors="coerce")
    usable = (features["frequency"] > 0) & (value > 0)
    return pd.DataFrame(
        {
            "customer_id": features.loc[usable, "customer_id"].to_numpy(),
            "frequency": features.loc[usable, "frequency"].to_numpy(dtype=float),
            "monetary_value": value[usable].to_numpy(dtype=float),
        }
    )


def fit_purchase(
    features: pd.DataFrame, purchase_model: str = DEFAULT_PURCHASE_MODEL
) -> CustomerValueModel:
    """Fit the purchase model (MBG/NBD, BG/NBD or Pareto/NBD) alone, e.g. for the backtest."""
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

    _quiet_pymc()
    if purchase_model not in PURCHASE_PARAMETERS:
        raise ValueError(
            f"purchase_model {purchase_model!r} is not one of {sorted(PURCHASE_PARAMETERS)}"
        )
    if features.empty:
        raise ValueError("No customer with a counted order: there is nothing to fit.")
    names = PURCHASE_PARAMETERS[purchase_model]
    flat = {name: Prior("HalfFlat") for name in names}
    model_class = {
        "mbgnbd": ModifiedBetaGeoModel,
        "bgnbd": BetaGeoModel,
        "pareto_nbd": ParetoNBDModel,
    }[purchase_model]
    purchase = model_class(model_config=flat)
    purchase_fit = _fit_map(purchase, purchase_data(features), names, purchase_model)
    _record(purchase, purchase_fit.parameters)
    return CustomerValueModel(purchase_fit, None, purchase, None)


def fit(features: pd.DataFrame, purchase_model: str = DEFAULT_PURCHASE_MODEL) -> CustomerValueModel:
    """Fit the purchase model on every customer and Gamma-Gamma on the repeat buyers."""
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import GammaGammaModel

    model = fit_purchase(features, purchase_model)
    spend_rows = spend_data(features)
    if len(spend_rows) < 2:
        raise ValueError(
            f"Only {len(spend_rows)} customer(s) with a repeat order of positive value: "
            "the spend model needs more."
        )
    spend = GammaGammaModel(model_config={k: Prior("HalfFlat") for k in SPEND_PARAMETERS})
    model.spend = _fit_spend(spend, spend_rows)
    model._spend_model = spend
    return model


def _fit_spend(spend, rows: pd.DataFrame) -> Fit:
    """Gamma-Gamma on order values in units of their mean, v (a scale in the currency's
    unit) multiplied back. The fit starts from v = 1 whatever the unit: on values in cents
    or in small currency units, a million times the mean order, it stopped elsewhere
    (p 7,716, q 2.9 where euros gave p 6.2, q 4.0; the population mean 4 % off). In the
    mean's unit every currency starts from the same place and lands on the same p and q."""
    unit = float(rows["monetary_value"].mean())
    scaled = rows.assign(monetary_value=rows["monetary_value"] / unit)
    fit = _fit_map(spend, scaled, SPEND_PARAMETERS, "gamma_gamma")
    parameters = {**fit.parameters, "v": fit.parameters["v"] * unit}
    _record(spend, parameters)
    # Each customer's mean order value is a density in the currency: log(unit) per customer.
    return replace(
        fit,
        parameters=parameters,
        log_likelihood=fit.log_likelihood - len(rows) * math.log(unit),
    )


def _squeeze(values) -> np.ndarray:
    return np.asarray(values).reshape(-1)


def p_no_order(model: CustomerValueModel, data: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """P(no order in the next `days` days) per customer (`days` per customer or one value)."""
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(data),))
    if model.purchase.model == "pareto_nbd":
        return _squeeze(
            model._purchase_model.expected_purchase_probability(
                data.assign(future_t=days), n_purchases=0
            )
        )
    # BG/NBD and MBG/NBD in closed form: P(dropped out after the last purchase, or still
    # active and no purchase until T + days) / P(the history seen), as in Fader & Hardie
    # (2019, eq. 34) for BG/NBD. A BG/NBD customer takes the dropout chance after each
    # repeat purchase, an MBG/NBD one also after the first; `survived` counts those taken.
    # pymc-marketing 0.19's BG/NBD expected_probability_no_purchase omits the indicator
    # x > 0 on the dropout term (wrong without a repeat purchase); its MBG/NBD has none.
    r, alpha, a, b = (model.purchase.parameters[k] for k in ("r", "alpha", "a", "b"))
    x = data["frequency"].to_numpy(dtype=float)
    t_x = data["recency"].to_numpy(dtype=float)
    big_t = data["T"].to_numpy(dtype=float)
    survived = x + 1 if model.purchase.model == "mbgnbd" else x
    still = betaln(a, b + survived) - (r + x) * np.log(alpha + big_t + days)
    stays = betaln(a, b + survived) - (r + x) * np.log(alpha + big_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        dropped = np.where(
            survived > 0,
            betaln(a + 1, b + np.maximum(survived, 1) - 1) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.exp(np.logaddexp(dropped, still) - np.logaddexp(dropped, stays))


def expected_orders(model: CustomerValueModel, data: pd.DataFrame, days: float) -> np.ndarray:
    """Expected orders (purchase days) in the next `days` days."""
    if days == 0:
        return np.zeros(len(data))
    return _squeeze(model._purchase_model.expected_purchases(data, future_t=days))


def days_to_likely_order(
    model: CustomerValueModel, data: pd.DataFrame, probability: float = 0.5
) -> np.ndarray:
    """Smallest whole number of days d <= HORIZON_DAYS with P(an order within d days) >=
    `probability`, NaN when none (P grows with d: a binary search per customer)."""
    low = np.zeros(len(data))  # P(order within low days) < probability
    high = np.full(len(data), float(HORIZON_DAYS))
    reachable = 1 - p_no_order(model, data, high) >= probability
    while np.any(high - low > 1):
        middle = np.floor((low + high) / 2)
        hit = 1 - p_no_order(model, data, middle) >= probability
        high = np.where(hit, middle, high)
        low = np.where(hit, low, middle)
    return np.where(reachable, high, np.nan)


def predict(model: CustomerValueModel, features: pd.DataFrame) -> pd.DataFrame:
    """Per customer outputs as of the features' scoring date (see the columns' docs in dbt)."""
    data = purchase_data(features)
    if model.purchase.model == "pareto_nbd":
        alive = _squeeze(model._purchase_model.expected_probability_alive(data, future_t=0))
    else:
        alive = _squeeze(model._purchase_model.expected_probability_alive(data))
    cumulative = [
        expected_orders(model, data, m * DAYS_PER_MONTH) for m in range(HORIZON_MONTHS + 1)
    ]
    out = pd.DataFrame(
        {
            "customer_id": data["customer_id"],
            "p_alive": alive,
            "churn_probability": 1 - alive,
            "expected_orders_90d": expected_orders(model, data, 90),
            "expected_orders_365d": cumulative[-1],
            "p_order_90d": 1 - p_no_order(model, data, np.array(90.0)),
            "days_to_likely_order": days_to_likely_order(model, data),
            "expected_order_value": expected_order_value(model, features),
        }
    )
    for month in range(1, HORIZON_MONTHS + 1):
        out[f"expected_orders_month_{month:02d}"] = cumulative[month] - cumulative[month - 1]
    # A degenerate fit (a tiny base with no spread, where r and alpha run to millions)
    # overflows for some customers: their numbers are blanked and dbt leaves them without a
    # prediction, like a prospect, rather than stopping the day's scores.
    numbers = [c for c in out.columns if c not in ("customer_id", "days_to_likely_order")]
    out.loc[~_finite(out, numbers), numbers] = np.nan
    return out


def _finite(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return np.isfinite(frame[columns].to_numpy(dtype=float)).all(axis=1)


def expected_order_value(model: CustomerValueModel, features: pd.DataFrame) -> np.ndarray:
    """Gamma-Gamma expected value of a future order; the population mean for customers
    without a repeat order of positive value."""
    rows = spend_data(features)
    value = np.full(len(features), model.population_order_value)
    if len(rows):
        spend = _squeeze(model._spend_model.expected_customer_spend(rows))
        where = pd.Index(features["customer_id"]).get_indexer(rows["customer_id"])
        value[where] = spend
    return value


# -- backtest ------------------------------------------------------------------------------
BASELINE = "naive_rate"


def backtest_customers(
    model: CustomerValueModel, features: pd.DataFrame, holdout_days: int
) -> pd.DataFrame:
    """Per customer of the backtest features: orders predicted in the holdout by the model
    and by the naive baseline (repeat purchase days per day so far, times holdout_days),
    P(at least one order) by each, P(alive) at the cutoff, and what happened."""
    data = purchase_data(features)
    predicted = expected_orders(model, data, holdout_days)
    naive = features["frequency"].to_numpy(float) / features["tenure_days"].to_numpy(float)
    naive_predicted = naive * holdout_days
    if model.purchase.model == "pareto_nbd":
        alive = _squeeze(model._purchase_model.expected_probability_alive(data, future_t=0))
    else:
        alive = _squeeze(model._purchase_model.expected_probability_alive(data))
    actual = features["holdout_orders"].to_numpy(float)
    customers = pd.DataFrame(
        {
            "customer_id": data["customer_id"],
            "actual_orders": actual,
            "ordered_again": actual > 0,
            "model_orders": predicted,
            "model_p_order": 1 - p_no_order(model, data, np.array(float(holdout_days))),
            "p_alive": alive,
            "naive_orders": naive_predicted,
            # A Poisson process at the historical rate.
            "naive_p_order": 1 - np.exp(-naive_predicted),
        }
    )
    # Customers a degenerate fit cannot predict (see predict) are left out of the backtest.
    scored = _finite(customers, ["model_orders", "model_p_order", "p_alive"])
    return customers[scored].reset_index(drop=True)


def backtest_summary(customers: pd.DataFrame, prefix: str) -> dict:
    """The backtest figures of one predictor (`model` or `naive`) over the holdout."""
    predicted = customers[f"{prefix}_orders"].to_numpy(float)
    actual = customers["actual_orders"].to_numpy(float)
    ordered = customers["ordered_again"].to_numpy(bool)
    p_order = customers[f"{prefix}_p_order"].to_numpy(float)
    deciles = (
        pd.qcut(pd.Series(predicted).rank(method="first"), 10, labels=False) + 1
        if len(predicted) >= 10
        else pd.Series(np.ones(len(predicted), dtype=int))
    )
    calibration = (
        pd.DataFrame({"decile": deciles.to_numpy(), "predicted": predicted, "actual": actual})
        .groupby("decile")
        .agg(
            customers=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean")
        )
        .reset_index()
    )
    alive = customers["p_alive"].to_numpy(float) if prefix == "model" else None
    return {
        "customers": len(customers),
        "mean_absolute_error": float(np.mean(np.abs(predicted - actual))),
        "predicted_orders": float(predicted.sum()),
        "actual_orders": float(actual.sum()),
        "share_ordered_again": float(ordered.mean()),
        "mean_p_order": float(p_order.mean()),
        "brier_p_order": float(np.mean((p_order - ordered) ** 2)),
        "mean_p_alive": float(alive.mean()) if alive is not None else None,
        "mean_p_alive_ordered_again": float(alive[ordered].mean())
        if alive is not None and ordered.any()
        else None,
        "mean_p_alive_not_ordered": float(alive[~ordered].mean())
        if alive is not None and (~ordered).any()
        else None,
        "calibration_by_decile": [
            {
                k: (int(v) if k in ("decile", "customers") else round(float(v), 4))
                for k, v in row.items()
            }
            for row in calibration.to_dict("records")
        ],
    }
