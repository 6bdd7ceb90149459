"""Jobs, schedules, sensors and the UI: what keeps the segmentation fresh without anyone.

Real Dagster (in process, and a real webserver + daemon for the UI test), real dbt, real
DuckDB files: no mocks.
"""

from __future__ import annotations

import contextvars
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    code_location,
    failure_text,
    make_demo_run,
    materialized,
    publication_log,
    run_daily,
    use_data_dir,
)

from dagster_project import settings
from dagster_project.defs.automation import (
    changed_sources,
    daily_refresh_schedule,
    hourly_behaviour_schedule,
    landing_files_sensor,
    landing_run_request,
    run_failure_recorder,
)
from dagster_project.defs.kept_scores import KEPT
from dagster_project.defs.resources import ScoringSettings
from dagster_project.demo import generate
from dagster_project.lib.expectations import load_suites
from dagster_project.run_guard import run_pids

SMALL = 200  # customers, for tests that need a data directory of their own
PARIS = ZoneInfo("Europe/Paris")
VENV_BIN = Path(sys.executable).parent


pytestmark = pytest.mark.usefixtures("restored_environment")


def definitions() -> dg.Definitions:
    """The code location (imported late: loading it needs the manifest conftest prepares)."""
    from dagster_project.definitions import defs

    return defs


def paris_today() -> str:
    return datetime.now(PARIS).date().isoformat()


# -- (d) schedules ------------------------------------------------------------------------
def test_schedules_request_the_paris_day_of_their_tick_as_partition() -> None:
    # 06:00 in Paris on 1 November is 05:00 UTC; 00:15 in Paris on 2 November is still
    # 1 November in UTC: the partition is the Paris date in both cases.
    morning = datetime(2026, 11, 1, 6, 0, tzinfo=PARIS)
    request = daily_refresh_schedule(dg.build_schedule_context(scheduled_execution_time=morning))
    assert (request.partition_key, request.run_key) == ("2026-11-01", "daily-2026-11-01")

    just_after_midnight = datetime(2026, 11, 2, 0, 15, tzinfo=PARIS)
    with dg.instance_for_test() as instance:
        request = evaluate_hourly(just_after_midnight, instance)
    assert request.partition_key == "2026-11-02"
    assert request.run_key is None  # every hour runs, not only the first one of the day
    # Nothing is built as of that date yet: the run rebuilds every score.
    assert request.asset_selection is None


def evaluate_hourly(when: datetime, instance: dg.DagsterInstance):
    """The hourly schedule's tick at `when`, evaluated in a context of its own, as the daemon
    evaluates each tick: the instance Dagster opens (from the context's reference) to give
    the schedule its resources stays in that context instead of outliving this test."""
    return contextvars.copy_context().run(hourly_behaviour_schedule, hourly_tick(when, instance))


def hourly_tick(when: datetime, instance: dg.DagsterInstance):
    """The hourly schedule's context at `when`, with the instance it reads the runs from
    (one with storage on disk, as the daemon's: a schedule reaches it by reference)."""
    return dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        repository_def=definitions().get_repository_def(),
        resources={"scoring_settings": ScoringSettings.from_environment()},
    )


# -- (b) the landing sensor ---------------------------------------------------------------
def assert_launches(request, earlier: list[dg.RunRequest]) -> None:
    """A RunRequest the daemon will launch: no run_key already used by an earlier request."""
    assert isinstance(request, dg.RunRequest), request
    used = {r.run_key for r in earlier} - {None}
    assert request.run_key is None or request.run_key not in used, request.run_key


def evaluate_sensor(cursor: str | None) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=dg.DagsterInstance.ephemeral(),
        repository_def=definitions().get_repository_def(),
        resources={"scoring_settings": ScoringSettings.from_environment()},
    )
    outcome = landing_files_sensor(context)
    return outcome, context.cursor


@pytest.fixture
def small_landing(tmp_path: Path) -> settings.DataDir:
    layout = use_data_dir(tmp_path / "data")
    generate(layout.landing, customers=20, seed=SEED, end_date=END_DATE)
    return layout


def test_landing_sensor_requests_a_run_when_files_change_and_skips_otherwise(
    small_landing: settings.DataDir,
) -> None:
    layout = small_landing
    today = paris_today()
    first, cursor = evaluate_sensor(None)
    assert_launches(first, [])
    assert first.partition_key in (today, paris_today())  # unless midnight passed meanwhile
    # Nothing is built yet (a new instance): every source is new, the whole job runs.
    assert first.job_name == "daily_refresh" and first.asset_selection is None
    assert cursor

    again, same_cursor = evaluate_sensor(cursor)
    assert isinstance(again, dg.SkipReason)
    assert again.skip_message == "No new or changed landing file."
    assert same_cursor == cursor

    # A file in a folder the source mapping does not declare changes nothing.
    (layout.landing / "notes").mkdir()
    (layout.landing / "notes" / "readme.csv").write_text("a,b\n1,2\n")
    ignored, _ = evaluate_sensor(cursor)
    assert isinstance(ignored, dg.SkipReason)

    # A new transactions file starts a run, and so does a changed one.
    new_file = layout.landing_for("transactions") / "transactions_late.csv"
    new_file.write_text(
        (layout.landing_for("transactions") / "transactions_2026-10.csv").read_text()[:400]
    )
    added, cursor_after_add = evaluate_sensor(cursor)
    assert_launches(added, [first])
    assert cursor_after_add != cursor

    crm = layout.landing_for("crm_customers") / "crm_customers.csv"
    crm.write_text(crm.read_text() + crm.read_text().splitlines()[1].replace("C0", "X0") + "\n")
    changed, cursor_after_change = evaluate_sensor(cursor_after_add)
    assert_launches(changed, [first, added])
    assert cursor_after_change not in (cursor, cursor_after_add)

    unchanged, _ = evaluate_sensor(cursor_after_change)
    assert isinstance(unchanged, dg.SkipReason)

    # The cursor keeps each source's listing: the sensor knows which sources changed.
    listings = ScoringSettings.from_environment().landing_listings()
    assert changed_sources(cursor_after_change, listings) == set()
    assert changed_sources(cursor, listings) == {"transactions", "crm_customers"}
    assert changed_sources("an older cursor", listings) == set(listings)
    (layout.landing_for("interactions") / "interactions_late.csv").write_text(
        "event_id,customer_ref,event_ts,event_type,channel,url,campaign_id\n"
    )
    only_events, _ = evaluate_sensor(cursor_after_change)
    # Nothing is built as of today in this instance: even so the whole job runs.
    assert only_events.job_name == "daily_refresh" and only_events.asset_selection is None


def test_landing_sensor_reports_a_broken_mapping_instead_of_failing(
    small_landing: settings.DataDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "sources.yml"
    broken.write_text(
        "sources:\n  transactions:\n    inputs:\n      - path: x\n        format: xlsx\n"
    )
    monkeypatch.setenv("SCORING_SOURCES", str(broken))
    outcome, cursor = evaluate_sensor("previous")
    assert isinstance(outcome, dg.SkipReason)
    assert outcome.skip_message.startswith("Source mapping error: ")
    assert "format 'xlsx'" in outcome.skip_message
    assert cursor == "previous"


def test_landing_sensor_reruns_when_a_bad_file_is_removed(
    small_landing: settings.DataDir,
) -> None:
    """Removing a rejected file must start a new run (the fix of test_quality's scenario).

    Dagster launches at most one run per sensor run_key: a RunRequest whose run_key an
    earlier run already used is skipped ("already completed with run keys"). The landing
    state after the removal is the state before the bad file came, so its key must not be
    that earlier one.
    """
    layout = small_landing
    before, cursor = evaluate_sensor(None)
    bad = layout.landing_for("transactions") / "transactions_bad.csv"
    bad.write_text("order_id,order_line\nX,1\n")
    with_bad, cursor = evaluate_sensor(cursor)
    bad.unlink()
    after_removal, cursor = evaluate_sensor(cursor)

    assert_launches(with_bad, [before])
    assert_launches(after_removal, [before, with_bad])


def test_landing_sensor_does_not_start_a_run_without_any_landing_file(tmp_path: Path) -> None:
    """An empty landing folder (fresh install) is not a new file: a run could only fail."""
    use_data_dir(tmp_path / "empty")
    outcome, _ = evaluate_sensor(None)
    assert isinstance(outcome, dg.SkipReason), outcome


# -- (c) failed runs are recorded --------------------------------------------------------------
class _Webhook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"content_type": self.headers["Content-Type"], "body": json.loads(body)}
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_run_failure_recorder_logs_a_real_failed_run_and_posts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = use_data_dir(tmp_path / "data")  # no landing file at all: transactions fail
    instance = dg.DagsterInstance.ephemeral()
    result = run_daily(SCORING_DATE, instance)
    assert not result.success
    assert "No transactions file found at landing/transactions/*.csv" in failure_text(result)

    server = http.server.HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "SCORING_FAILURE_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/hook"
    )
    try:
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_recorder",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={"scoring_settings": ScoringSettings.from_environment()},
        ).for_run_failure()
        run_failure_recorder(context)
    finally:
        server.shutdown()
        server.server_close()

    lines = (layout.root / "logs" / "run_failures.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"run_id", "job", "partition", "failed_at", "message"}
    assert (record["run_id"], record["job"], record["partition"]) == (
        result.run_id,
        "daily_refresh",
        "2026-11-01",
    )
    assert "raw__transactions" in record["message"]
    assert datetime.fromisoformat(record["failed_at"]).tzinfo is not None
    assert _Webhook.received == [{"content_type": "application/json", "body": record}]


# -- (a) the hourly job ---------------------------------------------------------------------
@pytest.fixture
def instance_on_disk() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.mark.slow
def check_metadata(result: dg.ExecuteInProcessResult, check_name: str) -> dict:
    """The values of a check's result metadata in a run."""
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == check_name]
    return {name: value.value for name, value in evaluation.metadata.items()}


def test_hourly_refresh_reloads_only_interactions_rebuilds_the_scores_then_publishes(
    tmp_path: Path, instance_on_disk: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = make_demo_run(tmp_path / "data", customers=SMALL, instance=instance_on_disk)
    assert daily.result.success, failure_text(daily.result)
    built_daily = materialized(daily.result)
    assert {"raw/transactions", "marts/customer_rfm"} <= built_daily

    # A backfill of a date before any order fails its checks and leaves the warehouse tables
    # as of that date: neither may spoil today's hourly refresh.
    too_early = run_daily(date(2024, 6, 1), daily.instance)
    assert not too_early.success
    assert "check gx_transactions_freshness" in failure_text(too_early)

    # Tables hold 2024-06-01: the schedule asks for the whole job, every score rebuilt.
    tick = datetime(SCORING_DATE.year, SCORING_DATE.month, SCORING_DATE.day, 10, 15, tzinfo=PARIS)
    request = evaluate_hourly(tick, daily.instance)
    assert request.partition_key == SCORING_DATE.isoformat() and request.asset_selection is None
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    hourly = run_daily(SCORING_DATE, daily.instance, job="hourly_behaviour_refresh")

    assert hourly.success, failure_text(hourly)
    # Every model but the seeds kept: over 200 dbt resources, which dagster-dbt runs from a
    # temporary copy of the project; the run removed it.
    assert any(
        "temporary copy of DBT project" in entry.user_message
        for entry in daily.instance.all_logs(hourly.run_id)
    )
    assert not list(temporary.glob("*/selectors.yml"))
    # The interactions suite validates the rows loaded since it last passed: all of them in
    # the first run, none in this one (no new file).
    first_check = check_metadata(daily.result, "gx_stg_interactions")
    assert first_check["rows_validated"] == "every row" and first_check["rows_checked"] > 100
    assert check_metadata(hourly, "gx_stg_interactions")["rows_checked"] == 0
    done = materialized(hourly)
    # raw/load_manifest and raw/quarantine are reported by every load, interactions' too.
    raw = {key for key in built_daily if key.startswith("raw/")}
    raw -= {"raw/load_manifest", "raw/quarantine"}
    assert raw - done == raw - {"raw/interactions"} and "raw/interactions" in done
    assert done == built_daily - (raw - {"raw/interactions"})
    log = publication_log(daily.layout.published_db)
    assert [(r["version"], r["scoring_date"], r["run_id"]) for r in log] == [
        (1, SCORING_DATE, daily.result.run_id),
        (2, SCORING_DATE, hourly.run_id),
    ]
    with duckdb.connect(str(daily.layout.published_db), read_only=True) as con:
        dates = con.execute("select distinct scoring_date from customer_scores").fetchall()
        before = dict(
            con.execute("select customer_id, behavioural_score from customer_scores").fetchall()
        )
    assert dates == [(SCORING_DATE,)]

    # Every table now holds today and no interactions file changed since: the next hour
    # has nothing to do.
    idle = evaluate_hourly(tick, daily.instance)
    assert isinstance(idle, dg.SkipReason), idle
    assert "No new or changed interactions file" in idle.skip_message

    # An hour of today's activity lands: events dated the scoring date, which no score
    # reads. The run stages them and checks the load, and keeps every table built from
    # interactions as it is: nothing below staging is rebuilt, nothing is published again.
    job = code_location().resolve_job_def("hourly_behaviour_refresh")

    def run_hourly(selection) -> dg.ExecuteInProcessResult:
        """The hourly job for today on these assets; it must succeed."""
        result = job.execute_in_process(
            partition_key=SCORING_DATE.isoformat(),
            instance=daily.instance,
            asset_selection=selection,
            raise_on_error=False,
        )
        assert result.success, failure_text(result)
        return result

    today = daily.layout.landing / "interactions" / "interactions_today.csv"
    today.write_text(
        "event_id,customer_ref,event_ts,event_type,channel,url,campaign_id\n"
        f"E-TODAY-1,C00001,{SCORING_DATE} 08:00:00,form_submit,web,/contact,\n"
        f"E-TODAY-2,,{SCORING_DATE} 08:05:00,form_submit,web,/contact,\n"
    )
    today_request = evaluate_hourly(tick, daily.instance)
    assert isinstance(today_request, dg.RunRequest) and today_request.asset_selection
    kept_run = run_hourly(today_request.asset_selection)
    assert materialized(kept_run) - {"raw/load_manifest", "raw/quarantine"} == {
        "raw/interactions",
        "staging/stg_interactions",
        "quality/load_quality",
    }
    (staged,) = [
        event.materialization
        for event in kept_run.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(["staging", "stg_interactions"])
    ]
    # Every dbt table of the hourly scope but staging and the load-quality model.
    dbt_tables = [k for k in today_request.asset_selection if k.path[0] not in ("raw", "published")]
    kept = len(dbt_tables) - 2
    assert kept > 20
    assert staged.metadata[KEPT].value.startswith(f"{kept} tables kept as of {SCORING_DATE}")
    today_check = check_metadata(kept_run, "gx_stg_interactions")
    assert today_check["rows_checked"] == 2
    with duckdb.connect(str(daily.layout.warehouse), read_only=True) as con:
        assert con.execute(
            "select count(*) from staging.stg_interactions where event_id like 'E-TODAY-%'"
        ).fetchone() == (2,)
    assert len(publication_log(daily.layout.published_db)) == 2
    assert isinstance(evaluate_hourly(tick, daily.instance), dg.SkipReason)

    # A late event, dated yesterday, lands: the next hour rebuilds only what depends on
    # interactions (no model is refitted), and the event reaches the scores.
    customer = min(c for c, score in before.items() if not score and c.startswith("C"))
    late = daily.layout.landing / "interactions" / "interactions_late.csv"
    sensor_cursor = json.dumps(ScoringSettings.from_environment().landing_listings())
    late.write_text(
        "event_id,customer_ref,event_ts,event_type,channel,url,campaign_id\n"
        f"E-LATE-1,{customer},2026-10-31 09:00:00,form_submit,web,/contact,\n"
    )
    narrow_request = evaluate_hourly(tick, daily.instance)
    narrow = {key.to_user_string() for key in narrow_request.asset_selection}
    assert {"raw/interactions", "marts/customer_scores", "published/segments"} <= narrow
    assert not {key for key in narrow if key.startswith(("predictions/", "features/"))}
    assert not {"marts/customer_rfm", "raw/transactions", "staging/stg_transactions"} & narrow
    assert {c.name for c in narrow_request.asset_check_keys} >= {"gx_customer_scores"}
    # The landing sensor, seeing the file first, asks for the same scope: only interactions
    # changed and every other table holds the date. Another source too: everything.
    listings = ScoringSettings.from_environment().landing_listings()
    changed = changed_sources(sensor_cursor, listings)
    assert changed == {"interactions"}
    graph = definitions().get_repository_def().asset_graph
    date_key = SCORING_DATE.isoformat()
    from_sensor = landing_run_request(daily.instance, graph, changed, date_key)
    assert from_sensor.job_name == "hourly_behaviour_refresh"
    assert from_sensor.partition_key == date_key
    assert from_sensor.asset_selection == narrow_request.asset_selection
    assert from_sensor.asset_check_keys == narrow_request.asset_check_keys
    everything = landing_run_request(daily.instance, graph, changed | {"transactions"}, date_key)
    assert everything.job_name == "daily_refresh" and everything.asset_selection is None
    # A run stages the late event and stops there, as one whose dbt step failed after
    # staging would: nothing is left waiting in raw, yet the scores are older than what
    # staging holds, so the next run rebuilds them rather than keep them.
    staged_only = run_hourly(
        [dg.AssetKey(["raw", "interactions"]), dg.AssetKey(["staging", "stg_interactions"])]
    )
    late_check = check_metadata(staged_only, "gx_stg_interactions")
    assert late_check["rows_checked"] == 1
    assert late_check["rows_validated"] == f"loaded after {today_check['loaded_through']}"
    assert evaluate_hourly(tick, daily.instance).asset_selection == narrow_request.asset_selection
    second = run_hourly(narrow_request.asset_selection)
    assert materialized(second) - {"raw/load_manifest", "raw/quarantine"} == narrow
    log = publication_log(daily.layout.published_db)
    assert [(r["version"], r["scoring_date"], r["run_id"]) for r in log][-1] == (
        3,
        SCORING_DATE,
        second.run_id,
    )
    with duckdb.connect(str(daily.layout.published_db), read_only=True) as con:
        after = dict(
            con.execute("select customer_id, behavioural_score from customer_scores").fetchall()
        )
    # A form is worth 15 points, halved every half-life: a day old, a little less.
    assert 10 < after[customer] <= 15
    # Every other customer keeps their score: to the last few bits only, since a sum of
    # decayed points over more rows (the late file's) may add them in another order.
    assert {c: s for c, s in after.items() if c != customer} == pytest.approx(
        {c: s for c, s in before.items() if c != customer}, rel=1e-12, abs=1e-12
    )
    assert isinstance(evaluate_hourly(tick, daily.instance), dg.SkipReason)

    # A build that also rebuilds another table the interactions' dependents read (here the
    # staged order lines) keeps nothing, even with no new interaction: they may change.
    with_orders = (
        code_location()
        .resolve_job_def("daily_refresh")
        .execute_in_process(
            partition_key=SCORING_DATE.isoformat(),
            instance=daily.instance,
            asset_selection=[
                dg.AssetKey(["staging", "stg_interactions"]),
                dg.AssetKey(["staging", "stg_transactions"]),
                dg.AssetKey(["quality", "identity_resolution"]),
            ],
        )
    )
    assert "quality/identity_resolution" in materialized(with_orders)

    # Interactions loaded again (a file rewritten) by a run that stopped there, as one whose
    # dbt step failed would: what depends on them is older than the load, the hour runs.
    late.write_text(late.read_text() + "E-LATE-2,,2026-10-31 10:00:00,page_view,web,/,\n")
    stopped = run_hourly([dg.AssetKey(["raw", "interactions"])])
    assert materialized(stopped) - {"raw/load_manifest", "raw/quarantine"} == {"raw/interactions"}
    again = evaluate_hourly(tick, daily.instance)
    assert isinstance(again, dg.RunRequest), again
    assert again.asset_selection == narrow_request.asset_selection


# -- the UI: webserver + daemon, a run launched through GraphQL ---------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dagster:
    """A webserver (and later a daemon) on one DAGSTER_HOME, talked to through GraphQL."""

    def __init__(self, layout: settings.DataDir, logs: Path) -> None:
        self.port = free_port()
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(settings.prepare_dagster_home(layout)),
            "SCORING_DATA_DIR": str(layout.root),
            "SCORING_WAREHOUSE_PATH": str(layout.warehouse),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "GX_ANALYTICS_ENABLED": "false",
        }

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes.append(
            subprocess.Popen(
                [str(VENV_BIN / name), *args, "-w", str(settings.PROJECT_ROOT / "workspace.yaml")],
                cwd=settings.PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: its code servers stop with it
            )
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-30:])
            for p in sorted(self.logs.glob("*.log"))
        )

    def query(self, text: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql",
            data=json.dumps({"query": text, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def wait(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                assert process.poll() is None, f"{process.args[0]} exited\n{self.log_tail()}"
            try:
                value = condition()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                value = None
            if value:
                return value
            time.sleep(1)
        raise AssertionError(f"timed out waiting for {what}\n{self.log_tail()}")


REPOSITORY = """
{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message }
    ... on RepositoryLocation { name repositories { name
      jobs { name }
      schedules { name cronSchedule executionTimezone scheduleState { id status } }
      sensors { name sensorType sensorState { id status } } } } } } } } }
"""
ASSETS = """
{ assetNodes { assetKey { path } groupName
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }
"""
STOP_SENSOR = """
mutation($id: String) { stopSensor(id: $id) {
  ... on StopSensorMutationResult { instigationState { status } }
  ... on PythonError { message } } }
"""
STOP_SCHEDULE = """
mutation($id: String) { stopRunningSchedule(id: $id) {
  ... on ScheduleStateResult { scheduleState { status } }
  ... on PythonError { message } } }
"""
LAUNCH = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
  ... on LaunchRunSuccess { run { runId status } }
  ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }
"""
RUN = """
query($id: ID!) { runOrError(runId: $id) { ... on Run { status tags { key value }
  assetMaterializations { assetKey { path } partition } } } }
"""


def repository(dagster: Dagster) -> dict | None:
    entries = dagster.query(REPOSITORY)["workspaceOrError"]["locationEntries"]
    if not entries or entries[0]["loadStatus"] != "LOADED":
        return None
    location = entries[0]["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    return {"location": location["name"], **location["repositories"][0]}


@pytest.mark.slow
def test_ui_shows_the_project_and_runs_the_daily_job(tmp_path: Path) -> None:
    layout = settings.data_dir(tmp_path / "data")
    generate(layout.landing, customers=SMALL, seed=SEED, end_date=END_DATE)
    (tmp_path / "logs").mkdir()
    dagster = Dagster(layout, tmp_path / "logs")
    try:
        dagster.start("dagster-webserver", "-h", "127.0.0.1", "-p", str(dagster.port))
        repo = dagster.wait(lambda: repository(dagster), 240, "the code location to load")

        # What the UI shows: groups, checks (GX suites and dbt tests), schedules, sensors.
        nodes = dagster.query(ASSETS)["assetNodes"]
        groups = {n["groupName"] for n in nodes}
        assert groups == {
            "ingestion",
            "staging",
            "features",
            "prediction",
            "quality",
            "scoring",
            "publication",
        }
        checks = {
            ("/".join(n["assetKey"]["path"]), c["name"])
            for n in nodes
            for c in n["assetChecksOrError"].get("checks", [])
        }
        expected = {
            (key.asset_key.to_user_string(), key.name)
            for key in definitions().resolve_asset_graph().asset_check_keys
        }
        assert checks == expected
        gx = {name for _, name in checks if name.startswith("gx_")}
        assert gx == {f"gx_{suite.name}" for suite in load_suites(settings.EXPECTATIONS_DIR)}
        assert ("marts/customer_scores", "unique_customer_scores_customer_id") in checks
        assert ("staging/stg_transactions", "not_null_stg_transactions") in checks
        assert {j["name"] for j in repo["jobs"]} >= {"daily_refresh", "hourly_behaviour_refresh"}
        assert {
            (s["name"], s["cronSchedule"], s["executionTimezone"], s["scheduleState"]["status"])
            for s in repo["schedules"]
        } == {
            ("daily_refresh_schedule", "0 6 * * *", "Europe/Paris", "RUNNING"),
            ("hourly_behaviour_schedule", "15 * * * *", "Europe/Paris", "RUNNING"),
        }
        assert {(s["name"], s["sensorType"]) for s in repo["sensors"]} == {
            ("landing_files_sensor", "STANDARD"),
            ("run_failure_recorder", "RUN_STATUS"),
        }

        # Stop the schedules and sensors first: once the daemon runs, the landing sensor
        # would start a run for today on these files, concurrent with ours.
        for sensor in repo["sensors"]:
            stopped = dagster.query(STOP_SENSOR, {"id": sensor["sensorState"]["id"]})
            assert stopped["stopSensor"]["instigationState"]["status"] == "STOPPED"
        for schedule in repo["schedules"]:
            stopped = dagster.query(STOP_SCHEDULE, {"id": schedule["scheduleState"]["id"]})
            assert stopped["stopRunningSchedule"]["scheduleState"]["status"] == "STOPPED"

        # Launch daily_refresh for one partition, without run config: the code location's
        # default executor runs the steps in the run process (one process per step, the
        # multiprocess executor, was about ten times slower here).
        params = {
            "selector": {
                "repositoryLocationName": repo["location"],
                "repositoryName": repo["name"],
                "jobName": "daily_refresh",
            },
            "executionMetadata": {
                "tags": [{"key": "dagster/partition", "value": SCORING_DATE.isoformat()}]
            },
        }
        launched = dagster.query(LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        # The instance's default coordinator queues runs: only the daemon dequeues them.
        assert launched["run"]["status"] == "QUEUED"
        dagster.start("dagster-daemon", "run")

        def finished() -> dict | None:
            run = dagster.query(RUN, {"id": run_id})["runOrError"]
            return run if run["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None

        run = dagster.wait(finished, 600, "the run to finish")
        assert run["status"] == "SUCCESS", dagster.log_tail()
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert tags["dagster/partition"] == SCORING_DATE.isoformat()
        published = [
            m
            for m in run["assetMaterializations"]
            if m["assetKey"]["path"] == ["published", "segments"]
        ]
        assert [m["partition"] for m in published] == [SCORING_DATE.isoformat()]
    finally:
        dagster.stop()

    log = publication_log(layout.published_db)
    assert [(r["version"], r["scoring_date"], r["run_id"]) for r in log] == [
        (1, SCORING_DATE, run_id)
    ]
    # Every step ran in the run worker, the one process the run recorded (the run guard
    # judges a killed run by it).
    instance = dg.DagsterInstance.from_config(str(layout.dagster_home))
    assert len(run_pids(instance, instance.get_run_record_by_id(run_id))) == 1
