"""What a publication shows over time: the visual report, KPI history, score calibration
and replay, on real runs of two dates: a past date (one date published: nothing to
calibrate yet), then today's date, which calibrates the past date whose outcome horizon has
elapsed. The report is opened in a real browser; the past date is replayed and compared."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import browser
import dagster as dg
import duckdb
import pytest
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    failure_text,
    publication_log,
    run_daily,
    use_data_dir,
)
from plotly.offline import get_plotlyjs

from dagster_project import replay, settings
from dagster_project.__main__ import main
from dagster_project.demo import generate
from dagster_project.lib import report
from dagster_project.lib.loader import load_source
from dagster_project.lib.sources import load_mapping
from dagster_project.settings import DataDir

PAST_DATE = date(2026, 7, 15)
HORIZON_DAYS = 90  # dbt var calibration_horizon_days
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"


@dataclass
class Published:
    layout: DataDir
    first_report: str  # report.html after the first publication (one scoring date)
    first_calibration_rows: int
    result: dg.ExecuteInProcessResult  # the last run


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    with pytest.MonkeyPatch.context() as env:
        # These tests compare published rows with the warehouse, where guests keep their ids.
        env.setenv("SCORING_PUBLISH_PERSONAL_DATA", "true")
        layout = use_data_dir(tmp_path_factory.mktemp("report"))
        generate(layout.landing, customers=400, seed=SEED, end_date=END_DATE)
        instance = dg.DagsterInstance.ephemeral()
        first = run_daily(PAST_DATE, instance)
        assert first.success, failure_text(first)
        first_report = layout.published_report.read_text(encoding="utf-8")
        first_calibration_rows = _query(layout, "select count(*) from score_calibration")[0][0]
        result = run_daily(SCORING_DATE, instance)
        assert result.success, failure_text(result)
        yield Published(layout, first_report, first_calibration_rows, result)


def _query(layout: DataDir, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.published_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _charts(layout: DataDir) -> dict[str, report.Chart]:
    sections = report.build_sections(layout.published_db)
    return {s.key: s for s in sections if isinstance(s, report.Chart)}


def test_first_publication_explains_what_is_not_shown_yet(published: Published) -> None:
    assert published.first_calibration_rows == 0
    assert "only one scoring date has been published" in published.first_report
    assert "no published scoring date is old enough" in published.first_report
    # The decision tables are published from the first date on: their sections are there.
    assert "Campaign economics: margin against cost" in published.first_report
    assert "Survival: share still buying by first channel" in published.first_report


def test_report_is_one_self_contained_file_linked_from_the_asset(published: Published) -> None:
    path = published.layout.published_report
    # plotly.js itself mentions web addresses (its docs): look at the page around it.
    text = path.read_text(encoding="utf-8").replace(get_plotlyjs(), "")
    assert not re.search(r"<script[^>]+src=", text), "every script must be inlined"
    assert not re.search(r"""(href|src)=["']https?://""", text), "nothing fetched from the web"
    assert not list(path.parent.glob(".report.html.*.tmp")), "temporary file left behind"
    materialization = published.result.asset_materializations_for_node("published__report")[0]
    assert materialization.metadata["path"].value == str(path)
    assert materialization.metadata["url"].value == path.as_uri()
    shown = materialization.metadata["charts"].value.split(", ")
    # The core charts, then the optional ones: the demo publishes every table they read.
    assert shown == [
        "segments",
        "rfm_grid",
        "migrations",
        "kpis",
        "calibration",
        "predictive_groups",
        "churn",
        "campaigns",
        "survival",
    ]
    for title in ("Segment sizes and revenue", "RFM grid", "Segment migrations", "Segment KPIs"):
        assert title in text


def test_report_numbers_match_the_published_tables(published: Published) -> None:
    layout = published.layout
    charts = _charts(layout)
    summary = _query(
        layout, "select segment, customers, revenue from segment_summary order by display_order"
    )
    bars = charts["segments"].figure.data
    assert list(bars[0].x) == [s for s, _, _ in summary]
    assert list(bars[0].y) == [c for _, c, _ in summary]
    assert list(bars[1].y) == pytest.approx([float(r) for _, _, r in summary])

    cells = dict(
        ((f"R{r}", f"F{f}"), n)
        for r, f, n in _query(
            layout,
            "select r_score, f_score, count(*) from customer_scores"
            " where r_score is not null group by all",
        )
    )
    heatmap = charts["rfm_grid"].figure.data[0]
    shown = {
        (x, y): value
        for y, row in zip(heatmap.y, heatmap.z, strict=True)
        for x, value in zip(heatmap.x, row, strict=True)
        if value == value  # not NaN
    }
    assert shown == cells and sum(cells.values()) > 100

    moves = _query(
        layout,
        "select sum(customers), min(from_scoring_date) from segment_migrations"
        f" where to_scoring_date = '{SCORING_DATE}'",
    )[0]
    assert moves[1] == PAST_DATE
    assert sum(charts["migrations"].figure.data[0].link.value) == moves[0]

    calibration = charts["calibration"].figure.data
    composite = next(trace for trace in calibration if "score_0_100" in trace.name)
    published_shares = [
        float(share)
        for (share,) in _query(
            layout,
            "select ordered_share from score_calibration"
            " where score_name = 'score_0_100' order by decile",
        )
    ]
    assert list(composite.y) == pytest.approx(published_shares)


def test_segment_kpis_follow_the_summary_and_the_history(published: Published) -> None:
    layout = published.layout
    today = _query(
        layout,
        "select k.segment, k.customers, k.share, k.revenue, k.orders, k.average_order_value,"
        " s.customers, s.share, s.revenue, s.orders, s.average_order_value"
        f" from segment_kpis k join segment_summary s using (segment)"
        f" where k.scoring_date = '{SCORING_DATE}'",
    )
    assert len(today) == 11
    for row in today:
        assert row[1:6] == row[6:11], row[0]
    # The segment's average predictions, as an analyst would compute them from the scores.
    predicted = _query(
        layout,
        "select k.segment, k.avg_churn_probability, k.avg_clv,"
        " round(avg(c.churn_probability), 4), round(avg(c.clv_12m), 2)"
        " from segment_kpis k left join customer_scores c using (segment)"
        f" where k.scoring_date = '{SCORING_DATE}' group by all",
    )
    assert {segment for segment, *_ in predicted if _[0] is not None} >= {
        "champions",
        "hibernating",
    }
    for segment, churn, clv, expected_churn, expected_clv in predicted:
        assert (churn, clv) == pytest.approx((expected_churn, expected_clv), abs=1e-4), segment
    churn = {segment: value for segment, value, *_ in predicted}
    assert churn["prospect"] is None and churn["champions"] < churn["at_risk"]
    dates = _query(
        layout,
        "select scoring_date, count(*), sum(customers), count(next_order_conversion)"
        " from segment_kpis group by scoring_date order by scoring_date",
    )
    history = dict(
        _query(layout, "select scoring_date, count(*) from customer_segment_history group by 1")
    )
    assert [d for d, *_ in dates] == [PAST_DATE, SCORING_DATE]
    for scoring_date, segments, customers, _ in dates:
        assert segments == 11 and customers == history[scoring_date]
    # The past date's horizon has elapsed (conversion known for its non-empty segments),
    # today's has not.
    assert dates[0][3] > 0 and dates[1][3] == 0
    change = _query(
        layout,
        "select segment, customers_change, customers - lag(customers) over"
        " (partition by segment order by scoring_date) from segment_kpis"
        f" qualify scoring_date = '{SCORING_DATE}'",
    )
    assert all(published == expected for _, published, expected in change)
    assert any(published != 0 for _, published, _ in change)


def test_calibration_fills_for_a_backfilled_date_and_counts_real_orders(
    published: Published,
) -> None:
    layout = published.layout
    rows = _query(
        layout,
        "select score_name, scoring_date, count(*), sum(customers), sum(ordered_customers),"
        " sum(orders), sum(revenue) from score_calibration group by all order by 1",
    )
    assert {r[0] for r in rows} == {"score_0_100", "rfm_score_100", "behavioural_score"}
    assert {r[1] for r in rows} == {PAST_DATE}
    assert all(r[2] == 10 for r in rows)
    composite = next(r for r in rows if r[0] == "score_0_100")
    # The same outcome recomputed from the warehouse's orders and the published history.
    end = PAST_DATE + timedelta(days=HORIZON_DAYS)
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        con.execute(f"attach '{layout.published_db}' as pub (read_only)")
        expected = con.execute(
            "select count(distinct h.customer_id), count(o.order_id), sum(o.net_amount)"
            " from pub.customer_segment_history h join intermediate.int_orders o"
            " on o.customer_id = h.customer_id and o.is_counted"
            " and o.order_date >= h.scoring_date and o.order_date < ?"
            " where h.scoring_date = ?",
            [end, PAST_DATE],
        ).fetchone()
        customers = con.execute(
            "select count(*) from pub.customer_segment_history where scoring_date = ?",
            [PAST_DATE],
        ).fetchone()[0]
    assert composite[3] == customers
    assert (composite[4], composite[5]) == expected[:2] and expected[0] > 20
    assert float(composite[6]) == pytest.approx(float(expected[2]))
    top, bottom = _query(
        layout,
        "select max(ordered_share) filter (where decile = 10),"
        " max(ordered_share) filter (where decile = 1) from score_calibration"
        " where score_name = 'score_0_100'",
    )[0]
    assert top > bottom  # on demo data the composite score predicts buying


def test_report_renders_every_chart_in_a_browser(published: Published, tmp_path: Path) -> None:
    page = published.layout.published_report
    dom = browser.render(page, tmp_path)
    errors = re.search(rf'id="{browser.ERRORS_ID}">(.*?)</pre>', dom, re.S)
    assert errors is None, errors.group(1)
    charts = re.split(r'<div id="chart-', dom)[1:]
    rendered = {part.split('"', 1)[0]: part for part in charts}
    assert {
        "segments",
        "rfm_grid",
        "migrations",
        "kpis",
        "calibration",
        "campaigns",
        "survival",
    } <= set(rendered)
    marks = {  # what plotly draws for each kind of trace
        "segments": 'class="trace bars"',
        "rfm_grid": 'class="hm"',
        "migrations": 'class="sankey-link"',
        "kpis": 'class="trace scatter',
        "calibration": 'class="trace scatter',
        "campaigns": 'class="trace bars"',
        "survival": 'class="trace scatter',
    }
    for key, part in rendered.items():
        assert 'class="main-svg"' in part and marks.get(key, "") in part, f"chart {key} not drawn"
    shot = browser.screenshot(page, tmp_path / "report.png", tmp_path, size="1280,4300")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
    assert shot.stat().st_size > 50_000


def test_optional_sections_appear_only_when_their_table_is_published(tmp_path: Path) -> None:
    """Predictions, campaigns and survival are drawn from tables other models publish: a
    section appears when its table has the expected columns, and is left out otherwise."""
    published_db = tmp_path / "segments.duckdb"
    with duckdb.connect(str(published_db)) as con:
        con.execute(
            "create table survival_by_first_channel as select * from (values"
            " ('first', 'web', 0.8, 0.7, 0.5, 0.3), ('first', 'store', 0.9, 0.8, 0.7, 0.6),"
            " ('second', 'web', 0.95, 0.9, 0.8, 0.7))"
            " as t(channel_of, channel, survival_90d, survival_180d, survival_365d,"
            " survival_730d)"
        )
        con.execute(
            "create table campaign_performance as select 'c1' as campaign_id, 10.0 as revenue"
        )
        con.execute(
            "create table customer_predictions as select * from (values (0.1), (0.7), (0.95))"
            " as t(churn_probability)"
        )
    sections = {s.key: s for s in report.build_sections(published_db)}
    survival = sections["survival"]
    assert isinstance(survival, report.Chart)
    assert {t.name: list(t.y) for t in survival.figure.data} == {
        "store": [1.0, 0.9, 0.8, 0.7, 0.6],
        "web": [1.0, 0.8, 0.7, 0.5, 0.3],
    }
    assert list(survival.figure.data[0].x) == [0, 90, 180, 365, 730]
    assert isinstance(sections["churn"], report.Chart)
    assert sections["churn"].figure.data[0].x.tolist() == [0.1, 0.7, 0.95]
    campaigns = sections["campaigns"]
    assert isinstance(campaigns, report.Skipped)
    assert "lacks the expected columns audience_kind, incremental_margin, cost" in campaigns.reason
    assert isinstance(sections["predictive_groups"], report.Skipped)
    page = report.render(published_db)
    assert "Survival: share still buying by first channel" in page
    assert "Campaign economics" not in page and "Predictive groups" not in page
    # Core sections without their table say so in their place.
    assert "the published file has no `segment_summary` table yet" in page


# Replay (kept last in this module: it edits a landing file, then restores it).


def _history_rows(path: Path, table: str, columns: list[str], scoring_date: date) -> list:
    """Rows by customer; floats rounded (a sum in another order changes the last bits)."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(columns)} from {table} where scoring_date = ? order by customer_id",
            [scoring_date],
        ).fetchall()
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def test_a_replay_of_a_past_date_gives_the_published_scores_row_for_row(
    published: Published, capsys: pytest.CaptureFixture[str], restored_environment: None
) -> None:
    layout = published.layout
    code = main(["replay", "--scoring-date", PAST_DATE.isoformat(), "--keep"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Same scores as published." in out and " 0 different, 0 only published," in out
    scratch = DataDir(Path(re.search(r"Replay kept in (\S+)", out).group(1)))
    comparison = replay.compare(layout.published_db, scratch.warehouse, PAST_DATE)
    assert comparison.identical, comparison
    assert {"segment", "score_0_100", "monetary", "behavioural_score"} <= set(comparison.columns)
    columns = ["customer_id", *comparison.columns]
    published_rows = _history_rows(
        layout.published_db, "customer_segment_history", columns, PAST_DATE
    )
    replayed_rows = _history_rows(
        scratch.warehouse, "marts.customer_segment_history", columns, PAST_DATE
    )
    assert len(published_rows) > 300 and replayed_rows == published_rows
    # The replay read the real files and left the real warehouse and published file alone.
    since = replay.published_at(layout.published_db, PAST_DATE)
    assert replay.changed_files(layout.warehouse, scratch.warehouse, since) == []
    assert [r["scoring_date"] for r in publication_log(layout.published_db)] == [
        PAST_DATE,
        SCORING_DATE,
    ]

    # A landing file changed since: loading it into the replay's warehouse (as a replay
    # does first) makes the manifests disagree, and the replay names the file.
    changed = layout.landing / "transactions" / "transactions_2026-03.csv"
    original = changed.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[8] = "999.99"  # unit_price of an order line before the replayed date
    lines[1] = ",".join(fields)
    try:
        changed.write_text("".join(lines))
        with duckdb.connect(str(scratch.warehouse)) as con:
            mapping = load_mapping(settings.sources_file())
            load_source(con, mapping["transactions"], scratch.root, "transactions")
    finally:
        changed.write_bytes(original)
    assert replay.changed_files(layout.warehouse, scratch.warehouse, since) == [
        "transactions: landing/transactions/transactions_2026-03.csv"
        " (changed since the warehouse loaded it)"
    ]
    shutil.rmtree(scratch.root)
