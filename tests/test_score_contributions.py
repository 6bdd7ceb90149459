"""customer_score_contributions: every signal's share of score_0_100, recomputed from the
landing files in pandas, and the predicted-value weight of the composite."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import SCORING_DATE, PipelineRun
from rfm_reference import _read, customer_of_reference, rfm

from dagster_project import settings

SEEDS = settings.DBT_PROJECT_DIR / "seeds"
# Default score_weights; every source is present in the demo data, payment weight is 0.
WEIGHTS = {"rfm": 0.5, "behaviour": 0.3, "fit": 0.1, "crm": 0.1}


def read(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def behaviour_signals(landing: Path, scoring_date: date) -> pd.DataFrame:
    """Events per customer and type over 90 days: count, decayed points, capped points."""
    events = pd.concat(
        pd.read_csv(f, dtype=str, keep_default_na=False)
        for f in sorted((landing / "interactions").glob("*.csv"))
    )
    grid = pd.read_csv(SEEDS / "behaviour_points.csv").set_index("event_type")
    events["day"] = pd.to_datetime(events.event_ts).dt.date
    window = (events.day < scoring_date) & (events.day >= scoring_date - timedelta(days=90))
    events = events[window].copy()
    events["customer_id"] = (
        events.customer_ref.str.strip().str.lower().map(customer_of_reference(landing))
    )
    events = events.dropna(subset=["customer_id"]).join(grid, on="event_type", how="inner")
    age = events.day.map(lambda d: (scoring_date - d).days)
    events["decayed"] = events.points * 0.5 ** (age / events.half_life_days)
    signals = events.groupby(["customer_id", "event_type"]).agg(
        events=("decayed", "size"), decayed=("decayed", "sum")
    )
    cap = signals.index.get_level_values("event_type").map(grid.cap).to_numpy()
    signals["points"] = signals.decayed.clip(lower=-cap, upper=cap)
    return signals


def fit_signals(landing: Path, scoring_date: date) -> pd.DataFrame:
    """The fit rules each CRM customer meets (the rules of seed fit_rules, written out)."""
    crm = _read(landing, "crm_customers").set_index("customer_id")
    birth = pd.to_datetime(crm.birth_date).dt.date
    age = birth.map(
        lambda b: (
            scoring_date.year - b.year - ((scoring_date.month, scoring_date.day) < (b.month, b.day))
        )
    )
    met = {
        "opt_in": crm.opt_in_email.str.lower() == "true",
        "loyalty": crm.loyalty_member.str.lower() == "true",
        "target_country": crm.country.str.upper().isin(["FR", "BE", "CH", "LU"]),
        "core_age": age.between(25, 54),
        "quality_channel": crm.acquisition_channel.str.lower().isin(
            ["referral", "organic_search", "store"]
        ),
    }
    rules = pd.read_csv(SEEDS / "fit_rules.csv").set_index("rule_id")
    rows = [
        (customer_id, rule_id, float(rules.points[rule_id]))
        for rule_id, mask in met.items()
        for customer_id in crm.index[mask]
    ]
    return pd.DataFrame(rows, columns=["customer_id", "signal", "points"]).set_index(
        ["customer_id", "signal"]
    )


def note_signals(landing: Path, scoring_date: date) -> pd.DataFrame:
    """Note tags over 180 days: notes matching a pattern of the tag, decayed points."""
    notes = _read(landing, "crm_notes")
    notes["day"] = pd.to_datetime(notes.note_ts).dt.date
    window = (notes.day < scoring_date) & (notes.day >= scoring_date - timedelta(days=180))
    notes = notes[window].copy()
    notes["customer_id"] = (
        notes.customer_ref.str.strip().str.lower().map(customer_of_reference(landing))
    )
    notes = notes.dropna(subset=["customer_id"])
    notes["text"] = notes.note_text.map(
        lambda t: "".join(
            c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c)
        ).lower()
    )
    patterns = pd.read_csv(SEEDS / "note_signal_patterns.csv")
    rows = []
    for tag, group in patterns.groupby("tag"):
        points, half_life = group.points.iloc[0], group.half_life_days.iloc[0]
        for note in notes.itertuples():
            if any(re.search(p, note.text) for p in group.pattern):
                age = (scoring_date - note.day).days
                rows.append((note.customer_id, tag, points * 0.5 ** (age / half_life)))
    matched = pd.DataFrame(rows, columns=["customer_id", "signal", "points"])
    return matched.groupby(["customer_id", "signal"]).agg(
        notes=("points", "size"), points=("points", "sum")
    )


def test_contributions_are_the_signals_of_the_raw_files(demo_run: PipelineRun) -> None:
    warehouse, landing = demo_run.layout.warehouse, demo_run.layout.landing
    contributions = read(warehouse, "select * from marts.customer_score_contributions")
    scores = read(
        warehouse, "select customer_id, score_0_100, score_reasons from marts.customer_scores"
    ).set_index("customer_id")

    # Every customer's contributions sum to their score; the rounding row stays small.
    sums = contributions.groupby("customer_id").contribution.sum()
    joined = scores.join(sums.rename("contributions")).fillna({"contributions": 0})
    assert (joined.score_0_100 - joined.contributions).abs().max() <= 0.01
    rounding = contributions[contributions.component == "rounding"].contribution
    assert 0 < rounding.abs().max() <= 0.0551

    # A few customers with signals of every kind, checked signal by signal.
    behaviour = behaviour_signals(landing, SCORING_DATE)
    fit = fit_signals(landing, SCORING_DATE)
    notes = note_signals(landing, SCORING_DATE)
    references = rfm(landing, SCORING_DATE)
    candidates = sorted(
        set(references.index)
        & set(behaviour.index.get_level_values(0))
        & set(notes.index.get_level_values(0))
    )
    assert len(candidates) >= 3
    prospects = sorted(set(behaviour.index.get_level_values(0)) - set(references.index))
    assert prospects
    for customer_id in [*candidates[:3], prospects[0]]:
        rows = contributions[contributions.customer_id == customer_id].set_index(
            ["component", "signal"]
        )
        expected: dict[tuple[str, str], float] = {}
        if customer_id in references.index:
            reference = references.loc[customer_id]
            for signal, score in (
                ("recency", "r_score"),
                ("frequency", "f_score"),
                ("monetary", "m_score"),
            ):
                expected["rfm", signal] = (reference[score] - 1) / 12 * 100
            assert rows.loc[("rfm", "recency"), "raw_value"] == reference.recency_days
        for (_, event_type), signal in behaviour.loc[[customer_id]].iterrows():
            expected["behaviour", event_type] = signal.points
            row = rows.loc[("behaviour", event_type)]
            assert row.raw_value == signal.events
            assert row.points_before_cap == pytest.approx(signal.decayed, abs=1e-9)
            grid_points = pd.read_csv(SEEDS / "behaviour_points.csv").set_index("event_type")
            assert row.decayed_value == pytest.approx(
                signal.decayed / grid_points.points[event_type], abs=1e-9
            )
        if customer_id in fit.index.get_level_values(0):
            for (_, rule_id), rule in fit.loc[[customer_id]].iterrows():
                expected["fit", rule_id] = rule.points
        expected["crm", "neutral_score"] = 50.0
        if customer_id in notes.index.get_level_values(0):
            for (_, tag), tag_signal in notes.loc[[customer_id]].iterrows():
                expected["crm", tag] = tag_signal.points
                assert rows.loc[("crm", tag), "raw_value"] == tag_signal.notes
        actual = rows.drop(
            index=[
                i for i in rows.index if i[1] in ("clamp_to_0_100", "score_rounded_to_1_decimal")
            ]
        )
        assert set(actual.index) == set(expected), customer_id
        for key, points in expected.items():
            assert actual.points[key] == pytest.approx(points, abs=1e-9), (customer_id, key)
            assert actual.contribution[key] == pytest.approx(WEIGHTS[key[0]] * points, abs=1e-9), (
                customer_id,
                key,
            )
        # Components clamped to 0-100, weighted: the score from the raw files.
        component_points = pd.Series(expected).groupby(level=0).sum()
        composite = sum(
            WEIGHTS[c] * min(max(component_points.get(c, 0.0), 0), 100) for c in WEIGHTS
        )
        assert scores.score_0_100[customer_id] == pytest.approx(composite, abs=0.0551)
        assert rows.contribution.sum() == pytest.approx(scores.score_0_100[customer_id], abs=0.01)
        # score_reasons quotes the biggest contributions, biggest first.
        worded = rows[rows.reason.notna() & (rows.contribution != 0)]
        top = worded.assign(size=worded.contribution.abs()).sort_values(
            ["size", "reason"], ascending=[False, True]
        )
        assert scores.score_reasons[customer_id] == "; ".join(top.reason.head(3))


SCORE_PARTS = """
    select s.customer_id, s.score_0_100, s.rfm_score_100, s.behavioural_score, s.fit_score,
        s.crm_signal_score, p.clv_12m, coalesce(c.contribution, 0) as value_part,
        c.points as value_points, t.total
    from marts.customer_scores s
    left join marts.customer_predictions p using (customer_id)
    left join marts.customer_score_contributions c
        on c.customer_id = s.customer_id and c.component = 'predicted_value'
    left join (
        select customer_id, sum(contribution) as total
        from marts.customer_score_contributions group by 1
    ) t using (customer_id)
"""


def rebuild_scores(warehouse: Path, target: Path, dbt_vars: dict) -> None:
    """dbt rebuilds the score models on a copy of the warehouse with these vars."""
    dbt = Path(sys.executable).with_name("dbt")
    models = [
        "int_score_weights",
        "int_customer_composite_scores",
        "int_customer_score_contributions",
        "int_customer_score_reasons",
        "customer_score_contributions",
        "customer_scores",
    ]
    build = subprocess.run(
        [str(dbt), "run", "--select", *models, "--vars", json.dumps(dbt_vars)]
        + ["--project-dir", str(settings.DBT_PROJECT_DIR)]
        + ["--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(target)]
        + ["--log-path", str(target)],
        env={**os.environ, "SCORING_WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:]


def composite_without_prediction(parts: pd.DataFrame) -> pd.Series:
    return (
        0.5 * parts.rfm_score_100.fillna(0)
        + 0.3 * parts.behavioural_score
        + 0.1 * parts.fit_score
        + 0.1 * parts.crm_signal_score
    )


def test_predicted_value_weight_adds_the_percentile_of_clv(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """Weight 0 (the default the demo run used) leaves the composite without predictions;
    0.4 gives 0.6 x that composite + 0.4 x the percentile of clv_12m among the customers
    with a prediction (prospects count 0)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run.layout.warehouse, copy)
    unchanged = read(copy, SCORE_PARTS).set_index("customer_id").sort_index()
    base = composite_without_prediction(unchanged)
    assert (unchanged.score_0_100 - base).abs().max() <= 0.051
    assert unchanged.value_points.isna().all()

    scoring_date = SCORING_DATE.isoformat()
    dbt_vars = {"scoring_date": scoring_date, "predicted_value_weight": 0.4}
    rebuild_scores(copy, tmp_path / "weighted", dbt_vars)
    weighted = read(copy, SCORE_PARTS).set_index("customer_id").sort_index()
    assert list(weighted.index) == list(unchanged.index)
    buyers = weighted.clv_12m.notna()
    assert buyers.sum() > 100 and (~buyers).sum() > 0
    ranks = weighted.clv_12m[buyers].rank(method="min")
    percentile = ((ranks - 1) / (buyers.sum() - 1) * 100).reindex(weighted.index).fillna(0)
    expected = 0.6 * composite_without_prediction(weighted) + 0.4 * percentile
    assert (weighted.score_0_100 - expected).abs().max() <= 0.051
    assert (weighted.score_0_100 != unchanged.score_0_100).mean() > 0.5
    assert weighted.value_part[buyers].to_numpy() == pytest.approx(
        (0.4 * percentile[buyers]).to_numpy(), abs=1e-9
    )
    assert (weighted.value_part[~buyers] == 0).all()
    assert (weighted.total - weighted.score_0_100).abs().max() <= 0.01
