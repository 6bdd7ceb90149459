"""Publication for BI: only checked scores reach `published/`, atomically.

Runs after every blocking check of the run has passed (a failed ERROR check stops it, so
the last good version stays): the Great Expectations suites and the predictions' fit. It
also reads the checks' results itself and refuses to publish when a gating check failed or
never ran, e.g. when someone materialises it alone.
"""

from datetime import date

import dagster as dg

from .. import settings
from ..lib import publisher
from .partitions import one_date_per_run, scoring_dates
from .prediction import FIT_CHECKS
from .quality import GATING_CHECKS, GUARDED_ASSETS
from .resources import Warehouse

# What publication waits for: the Great Expectations suites and the predictions' fit.
PUBLICATION_CHECKS = [*GATING_CHECKS, *(spec.key for spec in FIT_CHECKS)]


def _evaluations_in_run(instance: dg.DagsterInstance, run_id: str) -> dict:
    """The asset check evaluations a run recorded, by check key (the last one wins)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    return {
        evaluation.asset_check_key: evaluation
        for evaluation in (r.event_log_entry.dagster_event.event_specific_data for r in records)
    }


def _check_statuses(context: dg.AssetExecutionContext) -> dict[str, list[str]]:
    """Every gating check by outcome (passed, warned, failed, missing).

    A check evaluated in this run counts with its result in this run; a check of a table this
    run did not rebuild counts with its result in the run that last built that table for the
    same scoring date, else in the run that last built it at all: a failed daily load is not
    published by a later run that skips the check, and a failed backfill of an older date
    does not block today's. A check that never produced a result counts as missing.
    """
    instance = context.instance
    runs: dict[str, dict] = {}

    def evaluations(run_id: str) -> dict:
        if run_id not in runs:
            runs[run_id] = _evaluations_in_run(instance, run_id)
        return runs[run_id]

    outcome: dict[str, list[str]] = {"passed": [], "warned": [], "failed": [], "missing": []}
    for key in PUBLICATION_CHECKS:
        evaluation = evaluations(context.run.run_id).get(key)
        if evaluation is None:
            same_date = instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=key.asset_key, asset_partitions=[context.partition_key]
                ),
                limit=1,
            ).records
            built = (
                same_date[0].event_log_entry
                if same_date
                else instance.get_latest_materialization_event(key.asset_key)
            )
            if built is not None:
                evaluation = evaluations(built.run_id).get(key)
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if evaluation is None:
            outcome["missing"].append(name)
        elif evaluation.passed:
            outcome["passed"].append(name)
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
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
    try:
        personal = warehouse.settings.publishes_personal_data()
    except ValueError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    result = publisher.publish(
        warehouse.layout,
        date.fromisoformat(context.partition_key),
        context.run.run_id,
        passed,
        warned,
        personal_data=personal,
    )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "scoring_date": result.scoring_date.isoformat(),
            "path": dg.MetadataValue.path(str(warehouse.layout.published_db)),
            "current_tables_kept": result.current_tables_kept,
            "personal_data_published": personal,
            "checks_passed": len(passed),
            "checks_warned": dg.MetadataValue.text(", ".join(warned) or "none"),
            **{f"rows_{table}": count for table, count in result.row_counts.items()},
            "dagster/row_count": result.row_counts["customer_scores"],
        }
    )


defs = dg.Definitions(assets=[published_segments])
