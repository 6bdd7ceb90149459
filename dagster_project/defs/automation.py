"""Jobs, schedules and sensors that keep the segmentation fresh.

- daily_refresh (06:00 Europe/Paris): everything, as of today's scoring date.
- hourly_behaviour_refresh: interactions reloaded, then what depends on them rebuilt (every
  score when other tables hold another scoring date; none when the new events are all
  dated today, kept_scores.py), checked, published; its schedule skips the hour when no
  interactions file changed since that was last done.
- landing_files_sensor: a new or changed landing file starts a run for today: the hourly
  job's narrowed scope when only interactions files changed and every other table is
  already as of today, daily_refresh otherwise.
- run_failure_recorder: every failed run is appended to logs/run_failures.jsonl in the data
  directory, and posted to SCORING_FAILURE_WEBHOOK_URL when that variable is set.
"""

import json
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from .. import settings
from ..lib.sources import MappingError
from .ingestion import LISTING_METADATA
from .resources import ScoringSettings

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Load every landing source, build all scores, check them, publish them.",
)

# The job can rebuild every model: the warehouse keeps one scoring date per table, and a
# backfill in between leaves the others at its date. Its schedule narrows each run to
# HOURLY_SCOPE when every other table is already as of the run's date (see hourly_selection).
hourly_behaviour_refresh = dg.define_asset_job(
    "hourly_behaviour_refresh",
    selection=(dg.AssetSelection.all() - dg.AssetSelection.groups("ingestion"))
    | dg.AssetSelection.assets(["raw", "interactions"]),
    description=(
        "Reload interactions only; rebuild what depends on them as of today (every score "
        "when other tables are at another date), check and publish."
    ),
)

# What an hourly reload of interactions changes: the tables downstream of raw/interactions
# and the load-quality model (the load manifest changed). The fitted models are refitted by
# the daily refresh only: only events dated before the scoring date enter their features,
# so an hour's new events (dated today) change none of them, and a late event dated earlier
# reaches the propensity model at the next morning's fit; refitting would cost most of the
# run. Tables they feed are rebuilt from the morning's fit, as of the same date.
RAW_INTERACTIONS = dg.AssetKey(["raw", "interactions"])
HOURLY_SCOPE = (
    dg.AssetSelection.assets(RAW_INTERACTIONS).downstream()
    | dg.AssetSelection.assets(["quality", "load_quality"]).downstream()
) - dg.AssetSelection.groups("prediction")


def hourly_selection(
    instance: dg.DagsterInstance, asset_graph, scoring_date: str
) -> tuple[list[dg.AssetKey], list[dg.AssetCheckKey]] | None:
    """The assets and checks of HOURLY_SCOPE when every other partitioned table of the job
    was last materialised for `scoring_date` (they hold that date); None (the whole job)
    when any holds another date or was never built."""
    scope = HOURLY_SCOPE.resolve(asset_graph)
    rest = [
        key
        for key in hourly_behaviour_refresh.selection.resolve(asset_graph) - scope
        if asset_graph.get(key).partitions_def is not None
    ]
    latest = instance.get_latest_materialization_events(rest)
    if any(
        event is None or event.dagster_event.partition != scoring_date
        for event in (latest.get(key) for key in rest)
    ):
        return None
    return sorted(scope), sorted(HOURLY_SCOPE.resolve_checks(asset_graph))


@dg.schedule(
    job=daily_refresh,
    cron_schedule="0 6 * * *",
    execution_timezone=settings.TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
    """Scores as of today (data up to yesterday), every morning at 06:00 Paris time."""
    scoring_date = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=f"daily-{scoring_date}", partition_key=scoring_date)


@dg.schedule(
    job=hourly_behaviour_refresh,
    cron_schedule="15 * * * *",
    execution_timezone=settings.TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def hourly_behaviour_schedule(
    context: dg.ScheduleEvaluationContext, scoring_settings: ScoringSettings
):
    """Fresh behavioural scores during the day, still as of today's scoring date: only what
    depends on interactions, unless other tables hold another date; nothing at all when no
    interactions file changed since that was last done."""
    scoring_date = context.scheduled_execution_time.date().isoformat()
    narrowed = hourly_selection(context.instance, context.repository_def.asset_graph, scoring_date)
    if narrowed is None:
        return dg.RunRequest(partition_key=scoring_date)
    assets, checks = narrowed
    try:
        listing = scoring_settings.landing_listings().get("interactions")
    except MappingError as exc:
        return dg.SkipReason(f"Source mapping error: {exc}")
    if last_load_handled(context.instance, assets, scoring_date, listing):
        return dg.SkipReason(
            "No new or changed interactions file since raw/interactions was last loaded, "
            f"and the run that loaded it brought what depends on it to {scoring_date}."
        )
    return narrowed_hourly_request(scoring_date, assets, checks)


def narrowed_hourly_request(
    scoring_date: str, assets: list[dg.AssetKey], checks: list[dg.AssetCheckKey]
) -> dg.RunRequest:
    """The hourly job for `scoring_date`, narrowed to the assets and checks of
    `hourly_selection`: what the schedule and the landing sensor both ask for."""
    return dg.RunRequest(
        job_name=hourly_behaviour_refresh.name,
        partition_key=scoring_date,
        asset_selection=assets,
        asset_check_keys=checks,
    )


def last_load_handled(
    instance: dg.DagsterInstance, scope: list[dg.AssetKey], scoring_date: str, listing: str | None
) -> bool:
    """raw/interactions was last loaded from the files listed now (`listing`), by a run for
    `scoring_date` that covered the whole hourly `scope` and succeeded, and every asset of
    the scope still holds that date: an hourly run would change nothing.

    The run's success is the proof, not each table's materialisation after the load: a
    run whose new events cannot change a score keeps the scores (kept_scores.py)."""
    load = instance.get_latest_materialization_event(RAW_INTERACTIONS)
    if load is None:
        return False
    loaded_from = load.asset_materialization.metadata.get(LISTING_METADATA)
    if loaded_from is None or loaded_from.value != (listing or "none"):
        return False
    run = instance.get_run_by_id(load.run_id)
    if (
        run is None
        or run.status != dg.DagsterRunStatus.SUCCESS
        or run.tags.get("dagster/partition") != scoring_date
        # No asset selection is the whole job, whose own selection holds the scope.
        or (run.asset_selection and not set(scope) <= run.asset_selection)
    ):
        return False
    latest = instance.get_latest_materialization_events(scope)
    return all(
        event is not None and event.dagster_event.partition in (None, scoring_date)
        for event in (latest.get(key) for key in scope)
    )


@dg.sensor(
    jobs=[daily_refresh, hourly_behaviour_refresh],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def landing_files_sensor(context: dg.SensorEvaluationContext, scoring_settings: ScoringSettings):
    """Starts a run for today when landing files appear or change: the hourly job's scope
    when only interactions files changed (an hour's export), daily_refresh otherwise."""
    try:
        listings = scoring_settings.landing_listings()
    except MappingError as exc:
        return dg.SkipReason(f"Source mapping error: {exc}")
    if not any(listings.values()):
        return dg.SkipReason("No landing file yet.")
    cursor = json.dumps(listings, sort_keys=True)
    if cursor == context.cursor:
        return dg.SkipReason("No new or changed landing file.")
    changed = changed_sources(context.cursor, listings)
    context.update_cursor(cursor)
    today = datetime.now(ZoneInfo(settings.TIMEZONE)).date().isoformat()
    # No run_key: the cursor already dedupes, and going back to an earlier set of files
    # (a bad file removed) must start a run again.
    return landing_run_request(context.instance, context.repository_def.asset_graph, changed, today)


def changed_sources(cursor: str | None, listings: dict[str, str | None]) -> set[str]:
    """The sources whose files differ from the cursor's listings (every source when the
    cursor is missing or from before listings were kept per source)."""
    try:
        before = json.loads(cursor or "")
    except json.JSONDecodeError:
        before = None
    if not isinstance(before, dict):
        return set(listings)
    return {
        name for name in listings.keys() | before.keys() if listings.get(name) != before.get(name)
    }


def landing_run_request(
    instance: dg.DagsterInstance, asset_graph, changed: set[str], scoring_date: str
) -> dg.RunRequest:
    """What new landing files need: only interactions changed and every other table is as of
    `scoring_date` already, the hourly scope (what depends on interactions); else everything.
    New events each hour would otherwise refit every model and rebuild every table."""
    if changed == {"interactions"}:
        narrowed = hourly_selection(instance, asset_graph, scoring_date)
        if narrowed is not None:
            return narrowed_hourly_request(scoring_date, *narrowed)
    return dg.RunRequest(job_name=daily_refresh.name, partition_key=scoring_date)


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_recorder(context: dg.RunFailureSensorContext, scoring_settings: ScoringSettings):
    """Keeps a log of failed runs; posts it to a webhook when one is configured."""
    record = {
        "run_id": context.dagster_run.run_id,
        "job": context.dagster_run.job_name,
        "partition": context.dagster_run.tags.get("dagster/partition"),
        "failed_at": datetime.now(UTC).isoformat(),
        "message": context.failure_event.message,
    }
    log = scoring_settings.layout.root / "logs" / "run_failures.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    url = scoring_settings.failure_webhook_url
    if url:
        request = urllib.request.Request(
            url, data=json.dumps(record).encode(), headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=10).close()


defs = dg.Definitions(
    jobs=[daily_refresh, hourly_behaviour_refresh],
    schedules=[daily_refresh_schedule, hourly_behaviour_schedule],
    sensors=[landing_files_sensor, run_failure_recorder],
    # Every run (the UI's, a schedule's, a sensor's, an ad hoc materialisation) executes its
    # steps in its run process, as `make run` does: the writer pool lets one step run at a
    # time anyway, and the default multiprocess executor would start a process per step,
    # each importing Dagster, dbt and the code location again (minutes for nothing).
    executor=dg.in_process_executor,
)
