"""Publication for BI: only checked scores reach `published/`, atomically.

Runs after every blocking check of the run has passed (a failed ERROR check stops it, so
the last good version stays). It also reads the checks' results itself and refuses to
publish when a gating check failed or never ran, e.g. when someone materialises it alone.
"""

from datetime import date

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from .. import settings
from ..lib import publisher
from .partitions import one_date_per_run, scoring_dates
from .quality import GATING_CHECKS, GUARDED_ASSETS
from .resources import Warehouse


def _check_statuses(context: dg.AssetExecutionContext) -> dict[str, list[str]]:
    """Every gating check by outcome (passed, warned, failed, missing).

    A check planned in this run counts with its result in this run; a check of an asset this
    run did not rebuild (the hourly job) counts with its latest result for the same scoring
    date, else its latest at all: a failed daily load is not published by the next hourly
    run, and a failed backfill of an older date does not block today's.
    """
    outcome: dict[str, list[str]] = {"passed": [], "warned": [], "failed": [], "missing": []}
    storage = context.instance.event_log_storage
    for key in GATING_CHECKS:
        history = storage.get_asset_check_execution_history(key, limit=50)
        mine = [r for r in history if r.run_id == context.run_id]
        same_date = [r for r in history if r.partition == context.partition_key]
        record = (mine or same_date or history or [None])[0]
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if record is None or record.status == AssetCheckExecutionRecordStatus.PLANNED:
            outcome["missing"].append(name)
        elif record.status == AssetCheckExecutionRecordStatus.SUCCEEDED:
            outcome["passed"].append(name)
        elif record.evaluation and record.evaluation.severity == dg.AssetCheckSeverity.ERROR:
            outcome["failed"].append(name)
        else:
            outcome["warned"].append(name)
    return outcome


@dg.asset(
    key=dg.AssetKey(["published", "segments"]),
    # The marts it copies, and every table a gating check guards: a blocking check only
    # stops what is downstream of the asset it checks.
    deps=sorted(
        {dg.AssetKey(["marts", table]) for table in publisher.PUBLISHED_TABLES} | GUARDED_ASSETS,
        key=lambda key: key.to_user_string(),
    ),
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    group_name="publication",
    kinds={"duckdb", "parquet"},
    pool=settings.WRITER_POOL,
    owners=["team:data-engineering"],
    description=(
        "published/segments.duckdb (customer_scores, segment_summary, customer_segment_history, "
        "segment_migrations, publication_log; a DuckDB 1.x storage format) and the same tables "
        "as Parquet in a new version folder that published/parquet/current then points to: "
        "what BI tools read. Replaced atomically, only after the checks pass."
    ),
)
def published_segments(context: dg.AssetExecutionContext, warehouse: Warehouse):
    checks = _check_statuses(context)
    problems = [
        f"{problem}: {', '.join(checks[kind])}"
        for kind, problem in [("failed", "checks failed"), ("missing", "checks did not run")]
        if checks[kind]
    ]
    if problems:
        raise dg.Failure(
            description=f"Not published ({'; '.join(problems)}). The last published version "
            "stays; run daily_refresh (the checks run with it) once the data is fixed.",
            allow_retries=False,
        )
    passed, warned = checks["passed"], checks["warned"]
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
