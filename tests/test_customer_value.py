"""The customer-base models alone (no Dagster, no warehouse): simulated customers with
known parameters, hand-checkable customers, and the backtest arithmetic recomputed.

The CDNOW sample of the BG/NBD paper is not shipped by any installed package (pymc-marketing
0.19 ships no data files), so the paper's parameters cannot be reproduced offline: these
tests recover known parameters from simulated data instead, through the same code path.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import pytest
from customer_value_simulation import simulate_bgnbd
from scipy.special import hyp2f1

from dagster_project.lib import customer_value as cv

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_bgnbd(8000, **TRUE, **SPEND, seed=20261101)


@pytest.fixture(scope="module")
def fitted(simulated: pd.DataFrame) -> cv.CustomerValueModel:
    return cv.fit(simulated, "bgnbd")


@pytest.fixture(scope="module")
def simulated_modified() -> pd.DataFrame:
    """MBG/NBD customers: they may also drop out right after their first purchase."""
    return simulate_bgnbd(8000, **TRUE, **SPEND, seed=20261201, dropout_at_first=True)


@pytest.fixture(scope="module")
def fitted_modified(simulated_modified: pd.DataFrame) -> cv.CustomerValueModel:
    return cv.fit(simulated_modified)  # the default purchase model


def test_mbgnbd_is_the_default_and_recovers_its_parameters(fitted_modified) -> None:
    fit = fitted_modified.purchase
    assert cv.DEFAULT_PURCHASE_MODEL == fit.model == "mbgnbd"
    assert fit.converged and fit.customers == 8000
    # The Beta's two shapes are the loosest (8,000 customers pin their ratio better).
    for name, rel in {"r": 0.1, "alpha": 0.1, "a": 0.15, "b": 0.2}.items():
        assert fit.parameters[name] == pytest.approx(TRUE[name], rel=rel), name
    dropout = fit.parameters["a"] / (fit.parameters["a"] + fit.parameters["b"])
    assert dropout == pytest.approx(TRUE["a"] / (TRUE["a"] + TRUE["b"]), abs=0.03)


def test_a_one_time_buyer_slips_away_as_the_silence_grows(fitted, fitted_modified) -> None:
    """The reason MBG/NBD is the default: under BG/NBD a customer who bought once two years
    ago is as surely alive as one who bought last week, and reads as "no churn risk"."""
    once = pd.DataFrame(
        {
            "customer_id": ["last_month", "last_year", "two_years_ago"],
            "frequency": [0, 0, 0],
            "recency_days": [0.0, 0.0, 0.0],
            "tenure_days": [30.0, 365.0, 730.0],
            "mean_repeat_order_value": [np.nan] * 3,
        }
    )
    alive = cv.predict(fitted_modified, once)["p_alive"].to_numpy()
    assert 1 > alive[0] > alive[1] > alive[2] > 0
    # What the history supports: of the simulated one-time buyers, the older ones are more
    # often gone (truth known in the simulation: a dropout probability of a/(a+b) = 0.24
    # at the first purchase, then a purchase rate that makes a long silence unlikely).
    assert alive[2] < 0.6
    assert (cv.predict(fitted, once)["p_alive"] == 1.0).all()


@pytest.mark.parametrize("model_name", ["mbgnbd", "bgnbd"])
def test_p_no_order_in_closed_form_agrees_with_p_alive_and_expected_orders(
    model_name, fitted, fitted_modified, simulated
) -> None:
    """P(no order within d days) starts at 1, falls with d, tends to P(gone) = 1 - P(alive)
    (an active customer orders sooner or later), and P(at least one order) never exceeds the
    expected number of orders."""
    model = fitted_modified if model_name == "mbgnbd" else fitted
    data = cv.purchase_data(simulated.head(500))
    alive = cv.predict(model, simulated.head(500))["p_alive"].to_numpy()
    assert np.allclose(cv.p_no_order(model, data, np.array(0.0)), 1.0)
    previous = np.ones(len(data))
    for days in (30.0, 90.0, 365.0):
        p_none = cv.p_no_order(model, data, np.array(days))
        # Strictly for all but customers all but surely gone (1 - 1e-17 is 1 in floats).
        assert (p_none <= previous).all() and (p_none[alive > 1e-6] < previous[alive > 1e-6]).all()
        assert (1 - p_none <= cv.expected_orders(model, data, days) + 1e-12).all()
        previous = p_none
    forever = cv.p_no_order(model, data, np.array(1e9))
    assert np.allclose(forever, 1 - alive, atol=1e-3)


def mbgnbd_expected_orders(params: dict, x, t_x, big_t, t) -> np.ndarray:
    """Batislam, Denizel & Filiztekin (2007) eq. 6, written out for the tests."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x + 1, a + b + x, t / (alpha + big_t + t)
    )
    return (
        (a + b + x)
        / (a - 1)
        * tail
        / (1 + a / (b + x) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
    )


def test_mbgnbd_expected_orders_are_batislam_equation_6(fitted_modified, simulated) -> None:
    data = cv.purchase_data(simulated.head(300))
    expected = mbgnbd_expected_orders(
        fitted_modified.purchase.parameters, data["frequency"], data["recency"], data["T"], 120.0
    )
    assert np.allclose(cv.expected_orders(fitted_modified, data, 120.0), expected, rtol=1e-8)


def test_bgnbd_recovers_the_parameters_it_was_simulated_with(fitted) -> None:
    fit = fitted.purchase
    assert fit.converged and fit.parameters_valid
    assert fit.customers == 8000
    for name, true in TRUE.items():
        assert fit.parameters[name] == pytest.approx(true, rel=0.12), name
    assert np.isfinite(fit.log_likelihood) and fit.log_likelihood < 0


def test_gamma_gamma_recovers_the_mean_order_value(fitted, simulated) -> None:
    spend = fitted.spend
    assert spend.converged
    assert spend.customers == int((simulated["frequency"] > 0).sum())
    true_mean = SPEND["p"] * SPEND["v"] / (SPEND["q"] - 1)
    assert fitted.population_order_value == pytest.approx(true_mean, rel=0.05)
    for name, true in SPEND.items():
        assert spend.parameters[name] == pytest.approx(true, rel=0.3), name


def test_the_fit_is_the_maximum_of_the_likelihood(fitted, simulated) -> None:
    """Moving any parameter by 2 % lowers the BG/NBD log-likelihood (Fader et al. eq. 6)."""
    data = cv.purchase_data(simulated)

    def log_likelihood(r, alpha, a, b):
        from scipy.special import betaln, gammaln

        x, t_x, big_t = data["frequency"], data["recency"], data["T"]
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        first = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
        second = np.where(
            x > 0,
            betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return float(np.sum(common + np.logaddexp(first, second)))

    best = fitted.purchase.parameters
    at_best = log_likelihood(**best)
    assert at_best == pytest.approx(fitted.purchase.log_likelihood, rel=1e-6)
    for name in best:
        for factor in (0.98, 1.02):
            assert log_likelihood(**{**best, name: best[name] * factor}) < at_best, name


@pytest.mark.parametrize("unit", [1e-3, 1e6])
def test_the_spend_model_lands_on_the_same_fit_in_any_currency_unit(fitted, simulated, unit):
    """Order values in a unit a million times smaller (cents of a small currency) gave
    p 7,716 and q 2.9 where euros gave 6.2 and 4.0 before the spend model was fitted in
    units of the mean order value: now only v, a scale in the currency, changes."""
    in_unit = simulated.assign(mean_repeat_order_value=simulated["mean_repeat_order_value"] * unit)
    model = cv.fit(in_unit, "bgnbd")
    assert model.spend.converged
    for name in ("p", "q"):
        assert model.spend.parameters[name] == pytest.approx(
            fitted.spend.parameters[name], rel=1e-3
        )
    assert model.spend.parameters["v"] == pytest.approx(
        fitted.spend.parameters["v"] * unit, rel=1e-3
    )
    assert model.population_order_value == pytest.approx(
        fitted.population_order_value * unit, rel=1e-3
    )
    # The log-likelihood is of the values in their own unit: log(unit) less per customer.
    shift = fitted.spend.customers * np.log(unit)
    assert model.spend.log_likelihood == pytest.approx(
        fitted.spend.log_likelihood - shift, rel=1e-6
    )
    values = cv.predict(model, in_unit)["expected_order_value"] / unit
    assert np.allclose(values, cv.predict(fitted, simulated)["expected_order_value"], rtol=1e-3)


# Everyone drops out after a purchase with the same probability, 0.25: BG/NBD's likelihood
# then rises without end as a and b grow together (a ridge). Before shapes were capped, the
# unbounded optimiser ran these rows, shuffled, to a = 1e30 and a positive log-likelihood.
NO_DROPOUT_SPREAD = {"r": 0.5, "alpha": 20.0, "a": 1e8, "b": 3e8}


@pytest.fixture(scope="module")
def ridge() -> pd.DataFrame:
    return simulate_bgnbd(100_000, **NO_DROPOUT_SPREAD, seed=3)


def test_a_base_without_dropout_spread_gets_one_answer_in_any_row_order(ridge) -> None:
    shuffled = ridge.sample(frac=1, random_state=3)
    models = [cv.fit(ridge, "bgnbd"), cv.fit(shuffled, "bgnbd")]
    for model in models:
        fit = model.purchase
        assert fit.converged, fit
        p = fit.parameters
        assert p["a"] / (p["a"] + p["b"]) == pytest.approx(0.25, rel=0.02)
        assert p["a"] > 1000 and max(p.values()) <= cv.SHAPE_CAP
        assert fit.log_likelihood == pytest.approx(models[0].purchase.log_likelihood, abs=0.5)
    first, second = (cv.predict(m, ridge).set_index("customer_id") for m in models)
    for column in ("p_alive", "expected_orders_365d", "p_order_90d"):
        assert np.allclose(first[column], second[column], rtol=1e-3, atol=1e-5), column


def test_a_shape_held_at_its_cap_is_named_and_the_rest_still_fits(ridge, monkeypatch) -> None:
    """With the cap at 1,000, b (three times a on this ridge) stops there, the likelihood
    still rising beyond it; a settles at the same dropout probability."""
    monkeypatch.setattr(cv, "SHAPE_CAP", 1000.0)
    fit = cv.fit_purchase(ridge, "bgnbd").purchase
    assert fit.at_cap == ("b",)
    assert fit.parameters["b"] == pytest.approx(1000.0)
    assert fit.converged
    assert fit.parameters["a"] / (fit.parameters["a"] + 1000.0) == pytest.approx(0.25, rel=0.02)


def test_only_shapes_are_capped_a_large_scale_is_not_named(simulated) -> None:
    """alpha is a scale in the data's time unit: the same customers timed in units a million
    times shorter give an alpha a million times larger, above SHAPE_CAP, fitted, not held."""
    days = ["recency_days", "tenure_days"]
    shorter = simulated.assign(**{c: simulated[c] * 1e6 for c in days})
    fit = cv.fit_purchase(shorter, "bgnbd").purchase
    assert fit.parameters["alpha"] > cv.SHAPE_CAP
    assert fit.at_cap == () and fit.converged


HAND = pd.DataFrame(
    {
        "customer_id": ["one_order", "regular", "lapsed_heavy"],
        # one order 200 days ago; every month for ten months, the last one 10 days ago;
        # 20 repeat orders in the first 100 days, nothing for the last 300 days.
        "frequency": [0, 10, 20],
        "recency_days": [0.0, 290.0, 100.0],
        "tenure_days": [200.0, 300.0, 400.0],
        "mean_repeat_order_value": [np.nan, 50.0, 50.0],
    }
)


@pytest.mark.parametrize("model_name", ["mbgnbd", "bgnbd", "pareto_nbd"])
def test_hand_checkable_customers_rank_as_a_marketer_expects(
    model_name, fitted, fitted_modified, simulated
) -> None:
    model = {
        "mbgnbd": lambda: fitted_modified,
        "bgnbd": lambda: fitted,
        "pareto_nbd": lambda: cv.fit(simulated, "pareto_nbd"),
    }[model_name]()
    assert model.purchase.converged
    out = cv.predict(model, HAND).set_index("customer_id")
    alive, value = out["p_alive"], out["expected_orders_365d"] * out["expected_order_value"]
    assert alive["regular"] > 0.9 > 0.2 > alive["lapsed_heavy"]
    if model_name == "bgnbd":
        # BG/NBD lets a customer drop out only right after a repeat purchase: without one,
        # P(alive) is 1 by construction (the model's known quirk, documented in the README).
        assert alive["one_order"] == 1.0
    else:
        assert alive["regular"] > alive["one_order"] > alive["lapsed_heavy"]
    assert value["regular"] > value["one_order"]
    assert value["regular"] > value["lapsed_heavy"]
    assert (out["churn_probability"] == 1 - out["p_alive"]).all()
    # The one-order customer gets the population's order value.
    assert out.loc["one_order", "expected_order_value"] == pytest.approx(
        model.population_order_value
    )
    # Months add up to the year; P(order in 90 days) is in (0, 1).
    months = out[[f"expected_orders_month_{m:02d}" for m in range(1, 13)]].sum(axis=1)
    assert np.allclose(months, out["expected_orders_365d"])
    assert ((out["p_order_90d"] > 0) & (out["p_order_90d"] < 1)).all()
    # The regular buyer is likely to order within weeks; the lapsed one not within a year.
    assert out.loc["regular", "days_to_likely_order"] <= 60
    assert np.isnan(out.loc["lapsed_heavy", "days_to_likely_order"])


def test_days_to_likely_order_is_the_first_day_reaching_one_half(fitted) -> None:
    data = cv.purchase_data(HAND)
    days = cv.days_to_likely_order(fitted, data)
    regular = data.iloc[[1]]
    d = days[1]
    assert 1 - cv.p_no_order(fitted, regular, np.array(d))[0] >= 0.5
    assert 1 - cv.p_no_order(fitted, regular, np.array(d - 1))[0] < 0.5


def bgnbd_expected_orders(params: dict, x, t_x, big_t, t) -> np.ndarray:
    """Fader, Hardie & Lee (2005) eq. 10, written out for the test."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + big_t + t)
    )
    return (
        head * tail / (1 + (x > 0) * a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
    )


def test_backtest_figures_recomputed_for_a_few_customers(fitted, simulated) -> None:
    rng = np.random.default_rng(5)
    features = simulated.head(400).assign(holdout_orders=rng.poisson(0.6, 400))
    customers = cv.backtest_customers(fitted, features, holdout_days=120)
    summary, naive = (cv.backtest_summary(customers, p) for p in ("model", "naive"))
    x, t_x, big_t = (
        features[c].to_numpy(float) for c in ("frequency", "recency_days", "tenure_days")
    )
    expected = bgnbd_expected_orders(fitted.purchase.parameters, x, t_x, big_t, 120.0)
    for i in (0, 1, 2, 3, 50):
        assert customers.loc[i, "model_orders"] == pytest.approx(expected[i], rel=1e-8)
        assert customers.loc[i, "naive_orders"] == pytest.approx(x[i] / big_t[i] * 120)
    actual = features["holdout_orders"].to_numpy(float)
    assert summary["mean_absolute_error"] == pytest.approx(np.mean(np.abs(expected - actual)))
    assert naive["mean_absolute_error"] == pytest.approx(np.mean(np.abs(x / big_t * 120 - actual)))
    assert summary["predicted_orders"] == pytest.approx(expected.sum())
    assert summary["actual_orders"] == actual.sum() == naive["actual_orders"]
    assert summary["share_ordered_again"] == pytest.approx((actual > 0).mean())
    deciles = summary["calibration_by_decile"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["customers"] for d in deciles) == 400
    top = np.sort(expected)[-40:]
    assert deciles[-1]["predicted"] == pytest.approx(top.mean(), abs=1e-4)
    assert naive["mean_p_alive"] is None and 0 < summary["mean_p_alive"] < 1
