"""The visual report: one self-contained HTML file built from the published DuckDB file only.

A marketer opens `published/report.html` by double-click: plotly's JavaScript is inlined once,
nothing is fetched from the network and no server is needed. The report reads the same
published tables BI tools read (never the warehouse), so its numbers are theirs. Each chart
carries a title and one sentence saying how to read it. Sections whose table is not in the
published file (e.g. predictions before that model is published) are skipped with a note.
"""

from __future__ import annotations

import html
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from .warehouse import connect
from .warehouse import quote_ident as qi

# Optional sections: the published table each one reads and the columns it expects.
# A section appears when its table exists with these columns and is skipped otherwise.
# The survival mart's columns by the day they read the curve at (day 0: everyone).
SURVIVAL_COLUMNS = {
    90: "survival_90d",
    180: "survival_180d",
    365: "survival_365d",
    730: "survival_730d",
}

OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "predictive_group_forecast": ("predictive_group", "customers", "expected_revenue"),
    "customer_predictions": ("churn_probability",),
    "campaign_performance": ("campaign_id", "audience_kind", "incremental_margin", "cost"),
    "survival_by_first_channel": ("channel_of", "channel", *SURVIVAL_COLUMNS.values()),
}


# How the calibration chart names the published score columns.
SCORE_LABELS = {
    "score_0_100": "composite score (score_0_100)",
    "rfm_score_100": "RFM score (rfm_score_100)",
    "behavioural_score": "behavioural score",
}


@dataclass(frozen=True)
class Chart:
    """One chart of the report: what it shows and how to read it."""

    key: str
    title: str
    how_to_read: str
    figure: go.Figure


@dataclass(frozen=True)
class Skipped:
    """A section left out, with the reason shown in its place."""

    key: str
    title: str
    reason: str


Section = Callable[[duckdb.DuckDBPyConnection], "Chart | Skipped"]


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def _missing(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> str | None:
    """Why `table` cannot feed a section (absent, or lacking columns), else None."""
    present = _tables(con).get(table)
    if present is None:
        return f"the published file has no `{table}` table yet."
    lacking = [c for c in columns if c not in present]
    if lacking:
        return f"`{table}` lacks the expected columns {', '.join(lacking)}."
    return None


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _layout(figure: go.Figure, height: int = 420) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 60, "r": 30, "t": 40, "b": 60},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def segment_sizes(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Segment sizes and revenue"
    reason = _missing(con, "segment_summary", ("segment", "customers", "revenue"))
    if reason:
        return Skipped("segments", title, reason)
    data = _frame(
        con, "select segment, customers, share, revenue from segment_summary order by display_order"
    )
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Customers", "Revenue"))
    figure.add_bar(
        x=data["segment"],
        y=data["customers"],
        text=[f"{c:,} ({s:.0%})" for c, s in zip(data["customers"], data["share"], strict=True)],
        name="customers",
        marker_color="#4c78a8",
        textposition="auto",
        textangle=0,
        cliponaxis=False,
        row=1,
        col=1,
    )
    figure.add_bar(
        x=data["segment"],
        y=data["revenue"],
        text=[f"{r:,.0f}" for r in data["revenue"]],
        name="revenue",
        marker_color="#f58518",
        textposition="auto",
        textangle=0,
        cliponaxis=False,
        row=1,
        col=2,
    )
    figure.update_layout(showlegend=False)
    figure.update_xaxes(tickangle=-40)
    return Chart(
        "segments",
        title,
        "Each bar is one RFM segment as of the latest scoring date: on the left how many "
        "customers it holds (and their share), on the right the revenue they brought in the "
        "RFM window. Large revenue from a small segment marks the customers to protect.",
        _layout(figure),
    )


def rfm_grid(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "RFM grid: customers by recency (R) and frequency (F)"
    reason = _missing(con, "customer_scores", ("r_score", "f_score", "monetary"))
    if reason:
        return Skipped("rfm_grid", title, reason)
    data = _frame(
        con,
        "select r_score, f_score, count(*) as customers, avg(monetary) as avg_monetary"
        " from customer_scores where r_score is not null and f_score is not null"
        " group by r_score, f_score",
    )
    grid = data.pivot(index="f_score", columns="r_score", values="customers").reindex(
        index=range(1, 6), columns=range(1, 6)
    )
    figure = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=[f"R{r}" for r in grid.columns],
            y=[f"F{f}" for f in grid.index],
            text=[[("" if pd.isna(v) else f"{int(v):,}") for v in row] for row in grid.values],
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "customers"},
            hovertemplate="%{x} %{y}: %{z} customers<extra></extra>",
        )
    )
    figure.update_xaxes(title="recency score (5 = bought most recently)")
    figure.update_yaxes(title="frequency score (5 = buys most often)")
    return Chart(
        "rfm_grid",
        title,
        "Each cell counts the buyers with that recency score (columns) and frequency score "
        "(rows) as of the latest scoring date; the top right holds recent, frequent buyers, "
        "the bottom left those who bought once, long ago. Prospects without an order are not "
        "in the grid.",
        _layout(figure, 460),
    )


def migrations(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Segment migrations between the last two scoring dates"
    columns = ("from_scoring_date", "to_scoring_date", "from_segment", "to_segment", "customers")
    reason = _missing(con, "segment_migrations", columns)
    if reason:
        return Skipped("migrations", title, reason)
    data = _frame(
        con,
        "select * from segment_migrations"
        " where to_scoring_date = (select max(to_scoring_date) from segment_migrations)"
        " order by from_segment, to_segment",
    )
    if data.empty:
        return Skipped(
            "migrations",
            title,
            "only one scoring date has been published: migrations appear from the second one.",
        )
    start, end = data["from_scoring_date"].iloc[0], data["to_scoring_date"].iloc[0]
    sources = sorted(data["from_segment"].unique())
    targets = sorted(data["to_segment"].unique())
    labels = [f"{s} ({start:%Y-%m-%d})" for s in sources] + [
        f"{t} ({end:%Y-%m-%d})" for t in targets
    ]
    palette = _palette(sorted(set(sources) | set(targets)))
    figure = go.Figure(
        go.Sankey(
            node={
                "label": labels,
                "pad": 12,
                "thickness": 14,
                "color": [palette[s] for s in [*sources, *targets]],
            },
            link={
                "source": [sources.index(s) for s in data["from_segment"]],
                "target": [len(sources) + targets.index(t) for t in data["to_segment"]],
                "value": data["customers"].tolist(),
                # Each band in its origin segment's colour, see-through.
                "color": [_translucent(palette[s]) for s in data["from_segment"]],
            },
        )
    )
    return Chart(
        "migrations",
        title,
        f"Customers flow from their segment on {start:%Y-%m-%d} (left) to their segment on "
        f"{end:%Y-%m-%d} (right); the width of a band is the number of customers. '(none)' "
        "stands for customers not yet known on the first date or no longer present on the "
        "second.",
        _layout(figure, 560),
    )


def kpis_over_time(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Segment KPIs over time"
    columns = ("scoring_date", "segment", "customers", "revenue", "average_order_value")
    reason = _missing(con, "segment_kpis", columns)
    if reason:
        return Skipped("kpis", title, reason)
    data = _frame(con, "select * from segment_kpis order by display_order, scoring_date")
    # Dates as categories: one tick per published date, however far apart.
    data["date"] = data["scoring_date"].map(lambda d: f"{d:%Y-%m-%d}")
    figure = make_subplots(
        rows=1, cols=3, subplot_titles=("Customers", "Revenue", "Average order value")
    )
    segments = list(dict.fromkeys(data["segment"]))
    palette = _palette(segments)
    for segment in segments:
        rows = data[data["segment"] == segment]
        for col, measure in enumerate(("customers", "revenue", "average_order_value"), start=1):
            figure.add_scatter(
                x=rows["date"],
                y=rows[measure],
                mode="lines+markers",
                name=segment,
                legendgroup=segment,
                showlegend=col == 1,
                line={"color": palette[segment]},
                row=1,
                col=col,
            )
    figure.update_xaxes(type="category", categoryorder="category ascending")
    return Chart(
        "kpis",
        title,
        "One line per segment and one point per published scoring date: how many customers "
        "the segment holds, the revenue they brought in the RFM window and their average "
        "order value. A falling line in a valuable segment is the first thing to look at.",
        _layout(figure, 460),
    )


def calibration(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Did the scores predict? Ordering customers by score decile"
    columns = ("scoring_date", "score_name", "decile", "customers", "ordered_share")
    reason = _missing(con, "score_calibration", columns)
    if reason:
        return Skipped("calibration", title, reason)
    data = _frame(
        con,
        "select * from score_calibration"
        " where scoring_date = (select max(scoring_date) from score_calibration)"
        " order by score_name, decile",
    )
    if data.empty:
        return Skipped(
            "calibration",
            title,
            "no published scoring date is old enough for its outcome horizon to have elapsed:"
            " publish (or backfill) earlier scoring dates to fill `score_calibration`.",
        )
    scored_on = data["scoring_date"].iloc[0]
    horizon = int(data["horizon_days"].iloc[0]) if "horizon_days" in data else None
    figure = go.Figure()
    for score, rows in data.groupby("score_name", sort=True):
        figure.add_scatter(
            x=rows["decile"],
            y=rows["ordered_share"],
            mode="lines+markers",
            name=SCORE_LABELS.get(score, score),
            customdata=rows["customers"],
            hovertemplate="decile %{x}: %{y:.1%} ordered (%{customdata} customers)",
        )
    figure.update_xaxes(title="score decile (10 = highest scores)", dtick=1)
    figure.update_yaxes(title="share who ordered", tickformat=".0%")
    after = f"in the {horizon} days after" if horizon else "after"
    return Chart(
        "calibration",
        title,
        f"Customers scored on {scored_on:%Y-%m-%d} are split into ten equal groups by each "
        f"score (1 = lowest, 10 = highest); each point is the share of a group who ordered "
        f"{after} that date. A score that predicts rises from left to right.",
        _layout(figure),
    )


def predictive_groups(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Predictive groups: size and expected revenue"
    table = "predictive_group_forecast"
    reason = _missing(con, table, OPTIONAL_TABLES[table])
    if reason:
        return Skipped("predictive_groups", title, reason)
    data = _frame(con, f"select * from {qi(table)} order by predictive_group")
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Customers", "Expected revenue"))
    figure.add_bar(x=data["predictive_group"], y=data["customers"], row=1, col=1)
    figure.add_bar(x=data["predictive_group"], y=data["expected_revenue"], row=1, col=2)
    figure.update_layout(showlegend=False)
    return Chart(
        "predictive_groups",
        title,
        "Each bar is one group formed from the predicted behaviour of its customers: on the "
        "left its size, on the right the revenue the model expects from it.",
        _layout(figure),
    )


def churn_distribution(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Predicted churn probability"
    table = "customer_predictions"
    reason = _missing(con, table, OPTIONAL_TABLES[table])
    if reason:
        return Skipped("churn", title, reason)
    data = _frame(con, f"select churn_probability from {qi(table)}")
    figure = go.Figure(go.Histogram(x=data["churn_probability"], xbins={"size": 0.05}))
    figure.update_xaxes(title="churn probability", tickformat=".0%")
    figure.update_yaxes(title="customers")
    return Chart(
        "churn",
        title,
        "How many customers the customer-base model gives each probability of having "
        "stopped buying; a tall bar on the right is a large base at risk.",
        _layout(figure),
    )


def campaign_economics(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Campaign economics: margin against cost"
    table = "campaign_performance"
    reason = _missing(con, table, OPTIONAL_TABLES[table])
    if reason:
        return Skipped("campaigns", title, reason)
    # The whole campaign's row: its incremental margin is measured against the campaign's
    # whole control group, where a cut by segment may be too thin for one.
    data = _frame(
        con,
        f"select campaign_id, incremental_margin as margin, cost from {qi(table)} "
        "where audience_kind = 'campaign' order by campaign_id",
    )
    figure = go.Figure()
    figure.add_bar(x=data["campaign_id"].astype(str), y=data["margin"], name="margin earned")
    figure.add_bar(x=data["campaign_id"].astype(str), y=data["cost"], name="cost")
    return Chart(
        "campaigns",
        title,
        "For each campaign, the margin it earned beyond what its customers would have bought "
        "anyway (against its control group when it held one out; else the margin of the "
        "orders its contacts brought, an upper bound) next to what the contacts cost: a "
        "campaign pays when its first bar is taller than its second.",
        _layout(figure),
    )


def survival_curves(con: duckdb.DuckDBPyConnection) -> Chart | Skipped:
    title = "Survival: share still buying by first channel"
    table = "survival_by_first_channel"
    reason = _missing(con, table, OPTIONAL_TABLES[table])
    if reason:
        return Skipped("survival", title, reason)
    data = _frame(con, f"select * from {qi(table)} where channel_of = 'first' order by channel")
    days = [0, *SURVIVAL_COLUMNS]
    figure = go.Figure()
    for row in data.itertuples(index=False):
        shares = [1.0, *(getattr(row, column) for column in SURVIVAL_COLUMNS.values())]
        figure.add_scatter(x=days, y=shares, mode="lines+markers", name=str(row.channel))
    figure.update_xaxes(title="days since first order")
    figure.update_yaxes(title="share still active", tickformat=".0%")
    return Chart(
        "survival",
        title,
        "Each line follows the customers acquired through one channel: the share still "
        "active after 90, 180, 365 and 730 days. A line that stays high keeps its customers "
        "longer.",
        _layout(figure),
    )


SECTIONS: tuple[Section, ...] = (
    segment_sizes,
    rfm_grid,
    migrations,
    kpis_over_time,
    calibration,
    predictive_groups,
    churn_distribution,
    campaign_economics,
    survival_curves,
)
# Sections shown only when their table is published: skipping them needs no note.
OPTIONAL_KEYS = {"predictive_groups", "churn", "campaigns", "survival"}


def _palette(names: list[str]) -> dict[str, str]:
    """One fixed colour per segment, so a segment keeps its colour across the subplots."""
    colours = qualitative.D3 + qualitative.Plotly  # hex colours, 20 in all
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def _translucent(colour: str, alpha: float = 0.35) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def build_sections(published_db: Path) -> list[Chart | Skipped]:
    """Every section of the report, read from the published file (read-only)."""
    with connect(published_db, read_only=True) as con:
        return [section(con) for section in SECTIONS]


def _heading(published_db: Path) -> str:
    with connect(published_db, read_only=True) as con:
        if "publication_log" not in _tables(con):
            return ""
        version, scoring_date = con.execute(
            "select version, scoring_date from publication_log order by version desc limit 1"
        ).fetchone()
    return f"Publication version {version}, scores as of {scoring_date:%Y-%m-%d}."


def render(published_db: Path) -> str:
    """The report as one HTML page with plotly's JavaScript inlined (no network needed)."""
    parts = []
    for section in build_sections(published_db):
        if isinstance(section, Skipped):
            if section.key not in OPTIONAL_KEYS:
                parts.append(
                    f'<section class="skipped" id="{section.key}"><h2>'
                    f"{html.escape(section.title)}</h2><p>Not shown: "
                    f"{html.escape(section.reason)}</p></section>"
                )
            continue
        figure = section.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{section.key}",
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(
            f'<section class="chart" id="{section.key}"><h2>{html.escape(section.title)}</h2>'
            f'<p class="how">{html.escape(section.how_to_read)}</p>{figure}</section>'
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _PAGE.format(
        heading=html.escape(_heading(published_db)),
        generated=generated,
        plotlyjs=get_plotlyjs(),
        sections="\n".join(parts),
    )


def write_report(published_db: Path, target: Path) -> Path:
    """Render and publish atomically: a temporary file beside `target`, renamed over it."""
    content = render(published_db)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customer segments report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px;
       color: #222; padding: 0 16px; }}
h1 {{ margin-bottom: 4px; }}
.meta {{ color: #666; margin-top: 0; }}
section {{ margin: 28px 0; border-top: 1px solid #ddd; padding-top: 8px; }}
.how {{ color: #444; max-width: 900px; }}
.skipped p {{ color: #8a6d3b; }}
</style>
<script type="text/javascript">{plotlyjs}</script>
</head>
<body>
<h1>Customer segments report</h1>
<p class="meta">{heading} Generated {generated} from the published tables.</p>
{sections}
</body>
</html>
"""
