"""Payment risk from the invoices source, on demo data whose payers' behaviour is known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    PipelineRun,
    failure_text,
    run_daily,
    use_data_dir,
)

from dagster_project import settings
from dagster_project.demo import generate

PAYMENT_COLUMNS = ["payment_risk_score", "payment_risk_band", "overdue_amount"]
# The models a change of weight rebuilds: weights, the composite, the table that shows it.
SCORE_MODELS = ["int_score_weights", "int_customer_composite_scores", "customer_scores"]
PAYMENT_COLUMNS += ["payment_risk_reasons"]

READER = """
import json, sys
import sqlalchemy as sa
engine = sa.create_engine(f"duckdb:///{sys.argv[1]}", connect_args={"read_only": True})
with engine.connect() as conn:
    rows = conn.execute(sa.text(
        "select priority_rank, customer_id, payment_risk_band, overdue_amount_days,"
        " recommended_payment_action from receivables_by_customer order by priority_rank"
    )).fetchall()
    overdue = conn.execute(sa.text(
        "select (select sum(overdue_amount) from customer_scores),"
        " (select sum(overdue_amount) from segment_summary)"
    )).fetchone()
print(json.dumps({"rows": [list(map(str, r)) for r in rows], "overdue": list(map(str, overdue))}))
"""


def read(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def payers(demo_run: PipelineRun) -> pd.DataFrame:
    """Each invoiced demo customer's known behaviour beside their payment-risk row."""
    truth = pd.DataFrame(
        list(demo_run.report.payment_behaviour.items()), columns=["customer_id", "behaviour"]
    )
    risk = read(demo_run.layout.warehouse, "select * from marts.customer_payment_risk")
    return truth.merge(risk, on="customer_id", how="left", validate="one_to_one")


def test_every_invoiced_customer_is_scored(payers: pd.DataFrame) -> None:
    assert len(payers) > 50 and payers.payment_risk_score.notna().all()
    assert payers.payment_risk_score.between(0, 100).all()
    assert payers.payment_risk_reasons.str.len().gt(0).all()


def test_habitual_late_payers_are_high_and_punctual_ones_low(payers: pd.DataFrame) -> None:
    # Customers with at least two invoices due in the window: one invoice says little.
    known = payers[payers.due_invoices_in_window >= 2]
    late, punctual = known[known.behaviour == "late"], known[known.behaviour == "on_time"]
    assert len(late) >= 5 and len(punctual) >= 30
    assert (late.payment_risk_band == "high").mean() >= 0.75, late.payment_risk_band.tolist()
    assert not late.payment_risk_band.eq("low").any()
    assert late.paid_on_time_share.median() <= 0.2 and late.avg_days_late.median() >= 20
    assert (punctual.payment_risk_band == "low").mean() >= 0.85
    assert not punctual.payment_risk_band.isin(["high", "collections"]).any()
    assert punctual.paid_on_time_share.median() >= 0.9


def test_drifting_payers_are_flagged_by_the_trend(payers: pd.DataFrame) -> None:
    drifting = payers[payers.behaviour == "drifting"]
    steady = payers[payers.behaviour.isin(["on_time", "late"])]
    assert len(drifting) >= 3
    assert drifting.is_paying_later.fillna(False).astype(bool).mean() >= 0.75
    assert drifting.payment_trend_days.median() >= 15
    assert steady.is_paying_later.fillna(False).astype(bool).mean() <= 0.1
    flagged = drifting[drifting.is_paying_later.fillna(False).astype(bool)]
    assert flagged.payment_risk_reasons.str.contains(r"paying \d+ days later than before").any()


def test_write_offs_lead_the_reminder_list(payers: pd.DataFrame) -> None:
    written_off = payers[payers.written_off_invoices > 0]
    assert len(written_off) >= 1 and (written_off.behaviour == "write_off").all()
    assert written_off.payment_risk_band.isin(["high", "collections"]).all()


def test_the_reminder_list_is_published_in_priority_order(demo_run: PipelineRun) -> None:
    """Read by a BI client in another process: customers with money overdue first, then
    band, then overdue amount x days."""
    out = subprocess.run(
        [sys.executable, "-c", READER, str(demo_run.layout.published_db)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    published = json.loads(out.stdout)
    rows = published["rows"]
    expected = read(
        demo_run.layout.warehouse,
        "select customer_id, payment_risk_priority as priority, overdue_amount_days,"
        " overdue_amount from marts.customer_payment_risk"
        " where overdue_amount > 0 or payment_risk_band <> 'low'"
        " order by overdue_amount = 0, priority, overdue_amount_days desc, overdue_amount desc,"
        " customer_id",
    )
    assert [r[1] for r in rows] == expected.customer_id.tolist()
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][2] in ("collections", "high") and len(rows) >= 20
    # Nobody with nothing overdue comes before somebody with money to chase.
    owing = (expected.overdue_amount > 0).tolist()
    assert owing == sorted(owing, reverse=True) and any(owing) and not all(owing)
    # A band's action fits what is owed now: with nothing overdue, nothing to hand over.
    bands = pd.read_csv(settings.DBT_PROJECT_DIR / "seeds" / "payment_risk_bands.csv")
    bands = bands.set_index("payment_risk_band")
    for row, owed in zip(rows, owing, strict=True):
        column = "recommended_payment_action" if owed else "action_when_nothing_overdue"
        assert row[4] == bands.loc[row[2], column], row
    scores_total, segments_total = (float(x) for x in published["overdue"])
    assert scores_total == pytest.approx(segments_total) and scores_total > 0


def _mapping_without_invoices(path: Path) -> Path:
    demo = yaml.safe_load(settings.DEMO_SOURCES_FILE.read_text(encoding="utf-8"))
    del demo["sources"]["invoices"]
    path.write_text(yaml.safe_dump(demo), encoding="utf-8")
    return path


def test_without_invoices_nothing_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same files scored without, then with, the invoices mapped: only payment columns
    differ; then a payment weight blends reliability into the composite of invoiced
    customers only."""
    layout = use_data_dir(tmp_path)
    generate(layout.landing, customers=200, seed=SEED, end_date=END_DATE)
    monkeypatch.setenv("SCORING_SOURCES", str(_mapping_without_invoices(tmp_path / "s.yml")))
    instance = dg.DagsterInstance.ephemeral()
    result = run_daily(SCORING_DATE, instance)
    assert result.success, failure_text(result)
    event = instance.get_latest_materialization_event(dg.AssetKey(["raw", "invoices"]))
    metadata = event.asset_materialization.metadata
    assert metadata["source_absent"].value is True
    assert metadata["null_scores"].value == "payment_risk_score"
    query = "select * from marts.customer_scores order by customer_id"
    without = read(layout.warehouse, query)
    summary_without = read(layout.warehouse, "select * from marts.segment_summary order by 1")
    assert without[PAYMENT_COLUMNS].isna().all().all()
    assert summary_without.overdue_amount.isna().all()
    assert read(layout.warehouse, "select count(*) n from marts.receivables_by_customer").n[0] == 0

    monkeypatch.setenv("SCORING_SOURCES", str(settings.DEMO_SOURCES_FILE))
    result = run_daily(SCORING_DATE, instance)
    assert result.success, failure_text(result)
    with_invoices = read(layout.warehouse, query)
    invoiced = with_invoices.payment_risk_score.notna()
    assert 10 <= invoiced.sum() < len(with_invoices)
    pd.testing.assert_frame_equal(
        without.drop(columns=PAYMENT_COLUMNS), with_invoices.drop(columns=PAYMENT_COLUMNS)
    )
    summary_with = read(layout.warehouse, "select * from marts.segment_summary order by 1")
    pd.testing.assert_frame_equal(
        summary_without.drop(columns="overdue_amount"), summary_with.drop(columns="overdue_amount")
    )
    assert summary_with.overdue_amount.notna().all() and summary_with.overdue_amount.sum() > 0

    # A weight of 0.25: 0.75 x the composite + 0.25 x (100 - risk), for invoiced customers only.
    dbt = Path(sys.executable).with_name("dbt")
    vars_ = {"scoring_date": SCORING_DATE.isoformat(), "payment_risk_weight": 0.25}
    subprocess.run(
        [str(dbt), "run", "--select", *SCORE_MODELS, "--vars", json.dumps(vars_)]
        + ["--project-dir", str(settings.DBT_PROJECT_DIR)]
        + ["--profiles-dir", str(settings.DBT_PROJECT_DIR)]
        + ["--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path)],
        check=True,
        capture_output=True,
        env={**os.environ, "SCORING_WAREHOUSE_PATH": str(layout.warehouse)},
        timeout=300,
    )
    weighted = read(layout.warehouse, query)
    expected = 0.75 * with_invoices.score_0_100 + 0.25 * (100 - with_invoices.payment_risk_score)
    blended = (weighted.score_0_100 - expected)[invoiced].abs()
    assert blended.max() <= 0.1
    assert (weighted.score_0_100 == with_invoices.score_0_100)[~invoiced].all()
    assert (weighted.score_0_100 != with_invoices.score_0_100)[invoiced].mean() > 0.5
