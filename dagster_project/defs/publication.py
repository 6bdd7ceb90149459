"""Publication for BI: only checked scores reach `published/`, atomically.

Runs after every blocking check of the run has passed (a failed ERROR check stops it, so
the last good version stays); it also refuses to publish when the checks did not run in
this run at all, e.g. when someone materialises it alone.
"""

from datetime import date

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from .. import settings
from ..lib import publisher
from .partitions import scoring_dates
from .quality import suite_checks
from .resources import Warehouse

GATING_CHECKS = [key for checks in suite_checks for key in checks.check_keys]


def _check_statuses(context: dg.AssetExecutionContext) -> tuple[list[str], list[str], list[str]]:
    """Names of the gating checks that passed, warned, or did not run in this run."""
    passed, warned, missing = [], [], []
    storage = context.instance.event_log_storage
    for key in GATING_CHECKS:
        history = storage.get_asset_check_execution_history(key, limit=5)
        mine = [r for r in history if r.run_id == context.run_id]
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if not mine:
            missing.append(name)
        elif mine[0].status == AssetCheckExecutionRecordStatus.SUCCEEDED:
            passed.append(name)
        else:
            warned.append(name)  # a failed ERROR check would have stopped this step
    return passed, warned, missing


@dg.asset(
    key=dg.AssetKey(["published", "segments"]),
    deps=[dg.AssetKey(["marts", table]) for table in publisher.PUBLISHED_TABLES],
    partitions_def=scoring_dates,
    group_name="publication",
    kinds={"duckdb", "parquet"},
    pool=settings.WRITER_POOL,
    owners=["team:data-engineering"],
    description=(
        "published/segments.duckdb (customer_scores, segment_summary, customer_segment_history, "
        "segment_migrations, publication_log) and the same tables as Parquet under "
        "published/parquet/: what BI tools read. Replaced atomically, only after the checks pass."
    ),
)
def published_segments(context: dg.AssetExecutionContext, warehouse: Warehouse):
    passed, warned, missing = _check_statuses(context)
    if missing:
        raise dg.Failure(
            description=(
                "Not published: these checks did not run in this run: "
                + ", ".join(missing)
                + ". Publish through the daily_refresh job (or materialise with the checks)."
            ),
            allow_retries=False,
        )
    result = publisher.publish(
        warehouse.layout, date.fromisoformat(context.partition_key), context.run_id, passed, warned
    )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "scoring_date": result.scoring_date.isoformat(),
            "path": dg.MetadataValue.path(str(warehouse.layout.published_db)),
            "current_tables_kept": result.current_tables_kept,
            "checks_passed": len(passed),
            "checks_warned": dg.MetadataValue.text(", ".join(warned) or "none"),
            **{f"rows_{table}": count for table, count in result.row_counts.items()},
            "dagster/row_count": result.row_counts["customer_scores"],
        }
    )


defs = dg.Definitions(assets=[published_segments])
