"""The visual report: `published/report.html`, rendered from the published file after each
publication (never from the warehouse), so a marketer sees what BI tools read."""

import dagster as dg

from ..lib import report
from .partitions import one_date_per_run, scoring_dates
from .resources import Warehouse


@dg.asset(
    key=dg.AssetKey(["published", "report"]),
    deps=[dg.AssetKey(["published", "segments"])],
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="publication",
    kinds={"html", "plotly"},
    owners=["team:marketing-analytics"],
    description=(
        "published/report.html: segment sizes and revenue, the RFM grid, migrations, KPIs over "
        "time, calibration (and predictions, campaigns, survival when published), one "
        "self-contained file a marketer opens by double-click. Replaced atomically."
    ),
)
def published_report(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    # Only the data directory's paths are used: the report reads the published file alone.
    layout = warehouse.layout
    target = report.write_report(layout.published_db, layout.published_report)
    sections = report.build_sections(layout.published_db)
    shown = [s.key for s in sections if isinstance(s, report.Chart)]
    skipped = {s.key: s.reason for s in sections if isinstance(s, report.Skipped)}
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "url": dg.MetadataValue.url(target.as_uri()),
            "charts": dg.MetadataValue.text(", ".join(shown)),
            "skipped": dg.MetadataValue.json(skipped),
            "size_bytes": target.stat().st_size,
        }
    )


defs = dg.Definitions(assets=[published_report])
