"""Great Expectations suites as blocking asset checks on the tables they guard.

A failing `critical` expectation fails the check with ERROR severity, which stops every
downstream asset of the run (publication included); `warning` expectations are reported
but do not block. Each check always emits a result, with what failed and sample values.
"""

import warnings
from datetime import date, datetime

import dagster as dg

from .. import settings
from ..lib import accepted_values, expectation_batches, expectations
from .partitions import scoring_dates
from .resources import Warehouse

PARTITIONED_PREFIXES = ("staging", "intermediate", "marts", "quality", "scoring_rules")


def scoring_date_of(context: dg.AssetCheckExecutionContext) -> date:
    """The run's scoring date: its partition, else SCORING_DATE, else today."""
    key = context.run.tags.get("dagster/partition")
    return date.fromisoformat(key) if key else settings.default_scoring_date()


def suite_parameters(con, scoring_date: date) -> dict:
    """Values that suites refer to as {"$PARAMETER": name}."""
    parameters = expectations.load_parameters(settings.EXPECTATIONS_DIR)
    parameters["scoring_date"] = scoring_date.isoformat()
    # The fixed lists as the loader accepted them (contract + mapping extensions).
    if _exists(con, "raw", "accepted_values"):
        for name, values in accepted_values.read(con).items():
            parameters[f"accepted_{name.replace('.', '_')}"] = values
    rules = (
        con.execute(
            "select list(segment), list(distinct value_tier) from scoring_rules.segment_definitions"
        ).fetchone()
        if _exists(con, "scoring_rules", "segment_definitions")
        else (None, None)
    )
    parameters["segments"], parameters["value_tiers"] = rules
    if _exists(con, "intermediate", "int_customers"):
        parameters["resolved_customers"] = con.execute(
            "select count(*) from intermediate.int_customers"
        ).fetchone()[0]
    return parameters


def _exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _check_for(suite: expectations.SuiteFile) -> dg.AssetChecksDefinition:
    partitioned = suite.asset[0] in PARTITIONED_PREFIXES
    with warnings.catch_warnings():
        # Partitioned checks are a preview in Dagster 1.13, used knowingly: a check's result
        # must belong to its scoring date (publication reads it per date).
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)  # noqa: TID251
        return _define_check(suite, scoring_dates if partitioned else None)


def _define_check(
    suite: expectations.SuiteFile, partitions_def: dg.PartitionsDefinition | None
) -> dg.AssetChecksDefinition:
    key = dg.AssetCheckKey(dg.AssetKey(list(suite.asset)), f"gx_{suite.name}")

    @dg.asset_check(
        asset=key.asset_key,
        name=key.name,
        description=f"Great Expectations suite {suite.path.name}: {suite.description}",
        blocking=True,
        pool=settings.WRITER_POOL,
        partitions_def=partitions_def,
        metadata={"suite_file": str(suite.path.relative_to(settings.PROJECT_ROOT))},
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        scoring_date = scoring_date_of(context)
        if suite.new_rows is None:
            return check_result(validate_suite(warehouse, suite, scoring_date))
        since = validated_through(context.instance, key, scoring_date, context.run.run_config)
        outcome = validate_suite(warehouse, suite, scoring_date, since)
        return check_result(outcome, new_rows_metadata(outcome, since))

    return _check


# Check metadata: when the newest row a new_rows suite validated was loaded.
LOADED_THROUGH = "loaded_through"
# Results searched for the last pass: beyond, every row is validated again.
RESULTS_LOOKED_BACK = 50


def validated_through(
    instance: dg.DagsterInstance, key: dg.AssetCheckKey, scoring_date: date, run_config: dict
) -> datetime | None:
    """The load time through which a new_rows suite's rows were validated and passed: its
    latest passed result's LOADED_THROUGH. None (every row is validated) when it never
    passed, when that was for a later scoring date (a backfill: date-dependent expectations
    see the rows again) or when this run rebuilds the staging tables (full refresh). A
    failed or warned result keeps the earlier time: its rows are validated again until a
    run passes on them."""
    operations = run_config.get("ops", {}).values()
    if any((op.get("config") or {}).get("full_refresh") for op in operations):
        return None
    history = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=RESULTS_LOOKED_BACK
    )
    evaluations = (r for r in history if r.event is not None and r.event.dagster_event)
    for record in evaluations:
        evaluation = record.event.dagster_event.event_specific_data
        if not getattr(evaluation, "passed", False):  # planned, failed or warned
            continue
        if record.partition and date.fromisoformat(record.partition) > scoring_date:
            return None
        loaded = evaluation.metadata.get(LOADED_THROUGH)
        return datetime.fromisoformat(loaded.value) if loaded and loaded.value else None
    return None


def validate_suite(
    warehouse: Warehouse,
    suite: expectations.SuiteFile,
    scoring_date: date,
    loaded_after: datetime | None = None,
) -> expectations.SuiteOutcome:
    """The suite on the warehouse as of the date (on the rows loaded after `loaded_after`
    only, for a new_rows suite given one). The query's rows wait in DuckDB (spilling under
    the memory limit) while batches of at most `gx_batch_rows` go through GX
    (lib/expectation_batches.py)."""
    with warehouse.connect(read_only=True) as con:
        parameters = suite_parameters(con, scoring_date)
        return expectation_batches.validate_query(
            con,
            suite,
            suite.sql(scoring_date, loaded_after),
            parameters,
            warehouse.settings.gx_batch_rows,
        )


def check_result(
    outcome: expectations.SuiteOutcome, metadata: dict[str, str] | None = None
) -> dg.AssetCheckResult:
    """ERROR if a critical expectation failed, WARN if only warnings failed."""
    failures = outcome.failures
    blocking = outcome.blocking_failures
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN
    lines = [f"{o.severity}: {o.describe()}" for o in failures]
    return dg.AssetCheckResult(
        passed=not failures,
        severity=severity,
        description=(
            f"{len(failures)} of {len(outcome.outcomes)} expectations failed on {outcome.rows} rows"
            if failures
            else None
        ),
        metadata={
            "rows_checked": outcome.rows,
            **(metadata or {}),
            "batches": outcome.batches,
            "largest_batch_rows": outcome.largest_batch,
            "expectations": len(outcome.outcomes),
            "failed": len(failures),
            "failed_blocking": len(blocking),
            "failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
            "results": dg.MetadataValue.json(
                [
                    {
                        "expectation": o.expectation,
                        "column": o.column,
                        "severity": o.severity,
                        "success": o.success,
                        "observed": o.observed,
                        "failing_sample": o.failing_sample[:5],
                        "failing_rows": o.failing_rows,
                        "error": o.error,
                    }
                    for o in outcome.outcomes
                ]
            ),
        },
    )


def new_rows_metadata(
    outcome: expectations.SuiteOutcome, loaded_after: datetime | None
) -> dict[str, str]:
    """Which rows a new_rows suite validated, and the load time through which they go
    (the next run starts after it if this one passes)."""
    through = outcome.loaded_through or loaded_after
    return {
        "rows_validated": f"loaded after {loaded_after.isoformat()}"
        if loaded_after
        else "every row",
        LOADED_THROUGH: through.isoformat() if through else "",
    }


suite_checks = [_check_for(s) for s in expectations.load_suites(settings.EXPECTATIONS_DIR)]
# The checks publication waits for, and the tables they guard.
GATING_CHECKS = [key for checks in suite_checks for key in checks.check_keys]
GUARDED_ASSETS = {key.asset_key for key in GATING_CHECKS}

defs = dg.Definitions(asset_checks=suite_checks)
