"""Scores as the README defines them, point in time, with history and migrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import CUSTOMERS, END_DATE, SEED, failure_text, run_daily, use_data_dir
from rfm_reference import customer_of_reference, rfm

from dagster_project import settings
from dagster_project.demo import generate

EARLIER = date(2026, 10, 1)
LATER = date(2026, 11, 1)
SEEDS = settings.DBT_PROJECT_DIR / "seeds"
# A seed another seed's test reads (rfm_segment_grid's segments must be defined here).
LOST_SEED = "segment_definitions"


@dataclass
class TwoDates:
    layout: settings.DataDir
    earlier_segments: pd.DataFrame
    publication_versions: list[int]
    results: list[dg.ExecuteInProcessResult]
    instance: dg.DagsterInstance
    gone: str  # the prospect removed from the CRM export before the last run


def read(layout: settings.DataDir, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def two_dates(tmp_path_factory: pytest.TempPathFactory) -> TwoDates:
    """The same files scored as of 2026-10-01, then 2026-11-01, then 2026-11-01 again
    after a seed's table was lost from the warehouse and a prospect left the CRM export."""
    layout = use_data_dir(tmp_path_factory.mktemp("two_dates"))
    generate(layout.landing, customers=CUSTOMERS, seed=SEED, end_date=END_DATE)
    instance = dg.DagsterInstance.ephemeral()
    results = [run_daily(EARLIER, instance)]
    assert results[0].success, failure_text(results[0])
    earlier = read(layout, "select customer_id, segment from marts.customer_scores")
    for scoring_date in (LATER, LATER):
        if len(results) == 2:
            with duckdb.connect(str(layout.warehouse)) as con:
                con.execute(f"drop table scoring_rules.{LOST_SEED}")
            gone = remove_a_prospect(layout)
        results.append(run_daily(scoring_date, instance))
        assert results[-1].success, failure_text(results[-1])
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        rows = con.execute("select version from publication_log order by 1").fetchall()
        versions = [v for (v,) in rows]
    return TwoDates(layout, earlier, versions, results, instance, gone)


def remove_a_prospect(layout: settings.DataDir) -> str:
    """Drop from the CRM export a prospect no purchase, note, contact or invoice mentions
    (those would make a guest of them; their web visits go anonymous): rescoring the same
    date must drop their history row of that date too."""
    prospects = read(
        layout,
        "select customer_id from marts.customer_segment_history where segment = 'prospect'"
        f" and scoring_date = '{EARLIER}' and customer_id not like 'guest:%'",
    ).customer_id
    others = "".join(
        path.read_text(encoding="utf-8")
        for path in layout.landing.rglob("*.csv")
        if path.parent.name not in ("crm_customers", "interactions")
    )
    gone = next(c for c in sorted(prospects) if c not in others)
    (crm,) = (layout.landing / "crm_customers").glob("*.csv")
    lines = crm.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"{gone},")]
    assert len(kept) == len(lines) - 1
    crm.write_text("".join(kept), encoding="utf-8")
    return gone


def test_an_earlier_date_ignores_later_facts(two_dates: TwoDates) -> None:
    """Scored as of 2026-10-01 with October in the files: October must not count."""
    history = read(
        two_dates.layout,
        f"select customer_id, r_score, f_score, m_score from marts.customer_segment_history"
        f" where scoring_date = '{EARLIER}' and r_score is not null",
    ).set_index("customer_id")
    expected = rfm(two_dates.layout.landing, EARLIER)
    assert len(history) == len(expected) > 100
    for column in ["r_score", "f_score", "m_score"]:
        assert (history[column].sort_index() != expected[column]).sum() == 0, column


def test_history_keeps_each_date_once(two_dates: TwoDates) -> None:
    history = read(
        two_dates.layout,
        "select scoring_date, customer_id, segment from marts.customer_segment_history",
    )
    assert sorted(history.scoring_date.dt.date.unique()) == [EARLIER, LATER]
    assert not history.duplicated(["scoring_date", "customer_id"]).any()
    earlier = history[history.scoring_date.dt.date == EARLIER].drop(columns="scoring_date")
    pd.testing.assert_frame_equal(
        earlier.sort_values("customer_id").reset_index(drop=True),
        two_dates.earlier_segments.sort_values("customer_id").reset_index(drop=True),
    )
    current = read(two_dates.layout, "select customer_id from marts.customer_scores")
    later = history[history.scoring_date.dt.date == LATER]
    # The prospect who left the CRM export before the date was scored again is gone from
    # both (their row of that date used to stay, and the history check then failed every
    # rerun of the date).
    assert sorted(later.customer_id) == sorted(current.customer_id)
    assert two_dates.gone in set(earlier.customer_id) - set(later.customer_id)


def test_migrations_follow_each_customer_between_dates(two_dates: TwoDates) -> None:
    history = read(
        two_dates.layout,
        "select scoring_date, customer_id, segment from marts.customer_segment_history",
    )
    before = history[history.scoring_date.dt.date == EARLIER].set_index("customer_id").segment
    after = history[history.scoring_date.dt.date == LATER].set_index("customer_id").segment
    moves = pd.concat([before.rename("from_segment"), after.rename("to_segment")], axis=1)
    expected = (
        moves.fillna("(none)")
        .value_counts()
        .rename("customers")
        .reset_index()
        .sort_values(["from_segment", "to_segment"])
        .reset_index(drop=True)
    )
    actual = read(
        two_dates.layout,
        "select from_segment, to_segment, customers, is_migration from marts.segment_migrations"
        f" where from_scoring_date = '{EARLIER}' and to_scoring_date = '{LATER}'"
        " order by from_segment, to_segment",
    )
    pd.testing.assert_frame_equal(
        actual[["from_segment", "to_segment", "customers"]], expected, check_dtype=False
    )
    assert (actual.is_migration == (actual.from_segment != actual.to_segment)).all()
    assert actual[actual.is_migration].customers.sum() > 50


def test_each_run_published_a_version(two_dates: TwoDates) -> None:
    assert two_dates.publication_versions == [1, 2, 3]
    with duckdb.connect(str(two_dates.layout.published_db), read_only=True) as con:
        dates = con.execute(
            "select distinct scoring_date from customer_segment_history order by 1"
        ).fetchall()
    assert [d for (d,) in dates] == [EARLIER, LATER]


def seed_runs(result: dg.ExecuteInProcessResult) -> tuple[dict, dict]:
    """The seeds a run materialised (name -> metadata) and its seed checks (name -> passed
    and whether the result was carried over)."""
    seeds = {
        e.asset_key.path[-1]: e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[0] == "scoring_rules"
    }
    checks = {
        c.check_name: (c.passed, "kept" in c.metadata)
        for c in result.get_asset_check_evaluations()
        if c.asset_key.path[-1] in seeds
    }
    return seeds, checks


def test_unchanged_seeds_are_kept_and_a_lost_table_is_loaded_again(two_dates: TwoDates) -> None:
    """The second run keeps every seed (same files, tests passed: no dbt invocation for
    them, their results carried over); the third loads the seed whose table was lost."""
    first, second, third = (seed_runs(r) for r in two_dates.results)
    names = {path.stem for path in SEEDS.glob("*.csv")}
    assert set(first[0]) == set(second[0]) == set(third[0]) == names
    assert not any("kept" in metadata for metadata in first[0].values())
    assert all(passed and not carried for passed, carried in first[1].values())
    assert len(first[1]) > len(names)  # every seed is tested, some more than once

    states = {name: metadata["seed_state"].value for name, metadata in first[0].items()}
    assert all("kept" in metadata for metadata in second[0].values())
    assert {name: m["seed_state"].value for name, m in second[0].items()} == states
    # A test that also reads the contract lists runs after staging, in dbt, every time.
    assert second[1] == {
        check: (True, not check.startswith("accepted_in_contract")) for check in first[1]
    }
    # dbt started in each of the daily run's three dbt steps, then in two: not for seeds.
    starts = [
        sum(
            "Running dbt command" in (entry.user_message or "")
            for entry in two_dates.instance.all_logs(result.run_id)
        )
        for result in two_dates.results
    ]
    assert starts == [3, 2, 3]

    kept = {name for name, metadata in third[0].items() if "kept" in metadata}
    assert kept == names - {LOST_SEED}
    assert third[0][LOST_SEED]["seed_state"].value == states[LOST_SEED]
    assert "invocation_id" in third[0][LOST_SEED]  # dbt's metadata: dbt loaded it
    # Its tests ran in dbt, and so did the test of a kept seed that reads it.
    lost_checks = {c for c, (_, carried) in third[1].items() if not carried}
    assert any(not c.startswith(LOST_SEED) and LOST_SEED in c for c in lost_checks)
    assert {c for c in lost_checks if not c.startswith("accepted_in_contract")} == {
        c for c in first[1] if LOST_SEED in c
    }
    assert all(passed for passed, _ in third[1].values())
    rows = read(two_dates.layout, f"select count(*) as n from scoring_rules.{LOST_SEED}").n[0]
    assert rows == len(pd.read_csv(SEEDS / f"{LOST_SEED}.csv")) > 0


def behavioural_reference(landing: Path, scoring_date: date) -> pd.Series:
    """The behavioural score from the CSV files and the points grid, in pandas."""
    events = pd.concat(
        pd.read_csv(f, dtype=str, keep_default_na=False)
        for f in sorted((landing / "interactions").glob("*.csv"))
    )
    grid = pd.read_csv(SEEDS / "behaviour_points.csv").set_index("event_type")
    events["day"] = pd.to_datetime(events.event_ts).dt.date
    start = scoring_date - timedelta(days=90)
    events = events[(events.day < scoring_date) & (events.day >= start)]
    known = customer_of_reference(landing)
    events["customer_id"] = events.customer_ref.str.strip().str.lower().map(known)
    events = events.dropna(subset=["customer_id"]).join(grid, on="event_type", how="inner")
    age = events.day.map(lambda d: (scoring_date - d).days)
    events["decayed"] = events.points * 0.5 ** (age / events.half_life_days)
    per_type = events.groupby(["customer_id", "event_type"]).decayed.sum().reset_index()
    cap = per_type.event_type.map(grid.cap)
    per_type["capped"] = per_type.decayed.clip(lower=-cap, upper=cap)
    return per_type.groupby("customer_id").capped.sum().clip(0, 100)


def test_behavioural_score_matches_the_grid_and_decay(two_dates: TwoDates) -> None:
    expected = behavioural_reference(two_dates.layout.landing, LATER)
    actual = (
        read(two_dates.layout, "select customer_id, behavioural_score from marts.customer_scores")
        .set_index("customer_id")
        .behavioural_score
    )
    assert (actual > 0).sum() > 50
    joined = pd.concat([actual, expected.rename("expected")], axis=1).fillna({"expected": 0})
    assert joined.behavioural_score.notna().all()
    pd.testing.assert_series_equal(
        joined.behavioural_score, joined.expected, check_names=False, atol=1e-6, rtol=0
    )


def test_composite_score_is_the_weighted_sum_with_reasons(two_dates: TwoDates) -> None:
    scores = read(
        two_dates.layout,
        "select customer_id, recency_days, r_score, rfm_score_100, behavioural_score, fit_score,"
        " crm_signal_score, score_0_100, score_reasons, segment, lifecycle_stage"
        " from marts.customer_scores",
    )
    expected = (
        0.5 * scores.rfm_score_100.fillna(0)
        + 0.3 * scores.behavioural_score
        + 0.1 * scores.fit_score
        + 0.1 * scores.crm_signal_score
    ).round(1)
    assert ((scores.score_0_100 - expected).abs() > 0.051).sum() == 0
    assert scores.score_0_100.between(0, 100).all() and scores.score_0_100.nunique() > 100
    champions = scores[scores.r_score == 5]
    assert champions.score_reasons.str.contains(r"bought \d+ days ago \(R=5\)").all()
    prospects = scores[scores.segment == "prospect"]
    assert len(prospects) > 0 and (prospects.lifecycle_stage == "prospect").all()
    churned = scores[scores.lifecycle_stage == "churned"]
    assert len(churned) > 0 and (churned.recency_days >= 365).all()


def test_only_transactions_still_gives_rfm_and_nulls_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = use_data_dir(tmp_path)
    generate(layout.landing, customers=200, seed=SEED, end_date=END_DATE)
    mapping = tmp_path / "sources.yml"
    mapping.write_text(
        "sources:\n  transactions:\n    inputs:\n      - path: landing/transactions/*.csv\n"
    )
    monkeypatch.setenv("SCORING_SOURCES", str(mapping))
    instance = dg.DagsterInstance.ephemeral()
    result = run_daily(LATER, instance)
    assert result.success, failure_text(result)
    event = instance.get_latest_materialization_event(dg.AssetKey(["raw", "interactions"]))
    metadata = event.asset_materialization.metadata
    assert metadata["source_absent"].value is True
    assert metadata["null_scores"].value == "behavioural_score"
    scores = read(
        layout,
        "select count(*) as customers, count(r_score) as scored,"
        " count(behavioural_score) + count(fit_score) + count(crm_signal_score) as others,"
        " count(*) filter (where score_0_100 <> round(coalesce(rfm_score_100, 0), 1)) as off,"
        " count(*) filter (where segment = 'prospect') as prospects,"
        " count(distinct segment) as segments from marts.customer_scores",
    ).iloc[0]
    # Every customer here comes from an order line; those whose orders all net to zero
    # or less (returned, cancelled) are prospects without RFM scores.
    assert scores.scored > 100 and scores.customers - scores.scored == scores.prospects
    assert scores.others == 0 and scores.off == 0 and scores.segments >= 5
