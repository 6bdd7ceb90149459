"""Operations that must not lose data: killed runs, reruns, files in another order.

Real processes: `python -m dagster_project run` in a subprocess, killed with SIGKILL while
it loads, while dbt builds and while publication writes; real Dagster instances, DuckDB
files and dbt. Tables are compared by checksums of every raw, staging, intermediate, mart,
quality and seed table, leaving out only the columns that record *when* a row was loaded
or quarantined (VOLATILE_COLUMNS), and doubles to 9 decimals (FLOAT_TYPES).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import (
    END_DATE,
    SCORING_DATE,
    SEED,
    PipelineRun,
    failure_text,
    file_digests,
    run_daily,
    use_data_dir,
)

from dagster_project import settings
from dagster_project.demo import generate
from dagster_project.lib import publisher
from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.warehouse import quote_ident

CUSTOMERS = 200
SCHEMAS = ("raw", "staging", "intermediate", "marts", "quality", "scoring_rules")
# When a row was loaded or quarantined: legitimately different from one run to the next.
VOLATILE_COLUMNS = {"_loaded_at", "quarantined_at", "loaded_at", "last_loaded_at", "fitted_at"}
# Sums of doubles depend on the order rows are read in (files loaded in another order) at
# the 15th significant digit: doubles are compared to 9 decimals.
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
LATE_MONTHS = ("2026-09", "2026-10")

pytestmark = pytest.mark.usefixtures("restored_environment")


def table_checksums(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash of every row) of every table and view, by name."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by all"
        ).fetchall()
        sums = {}
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            columns = [
                f"round({quote_ident(c[0])}, 9)" if c[1] in FLOAT_TYPES else quote_ident(c[0])
                for c in con.execute(f"describe {name}").fetchall()
                if c[0] not in VOLATILE_COLUMNS
            ]
            sums[f"{schema}.{table}"] = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)})::hugeint), 0) "
                f"from {name}"
            ).fetchone()
    return sums


def instance_of(root: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(root / "dagster_home"))


def start_cli(root: Path, **env: str) -> subprocess.Popen:
    """`python -m dagster_project run` in its own process group, as `make run` starts it."""
    environment = {**os.environ, "SCORING_DATA_DIR": str(root), **env}
    environment.pop("SCORING_SOURCES", None)
    environment.pop("DAGSTER_HOME", None)  # the data directory's own instance
    return subprocess.Popen(
        [sys.executable, "-m", "dagster_project", "run", "--scoring-date", str(SCORING_DATE)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> str:
    """SIGKILL to the run's whole process group (its dbt child too); returns its stdout."""
    os.killpg(process.pid, signal.SIGKILL)
    out, _ = process.communicate(timeout=60)
    return out


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=900)
    return process.returncode, out, err


def run_events(root: Path, types: set) -> tuple[str | None, list]:
    """The in-progress run of the data directory and its events of these types."""
    if not (root / "dagster_home" / "dagster.yaml").exists():
        return None, []
    instance = instance_of(root)
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    )
    if not records:
        return None, []
    run_id = records[0].dagster_run.run_id
    events = instance.get_records_for_run(run_id, of_type=types).records
    return run_id, [e.event_log_entry for e in events]


def wait_until(process: subprocess.Popen, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the run ended before {what}: {process.communicate()}"
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill_in_state(process: subprocess.Popen, condition: Callable[[], bool], what: str) -> str:
    """Freeze the run's process group, then let it run in 5 ms slices until `condition`
    holds while it is frozen, and SIGKILL it there: the kill lands in that very state."""
    group = process.pid
    deadline = time.monotonic() + 900
    os.killpg(group, signal.SIGSTOP)
    try:
        while not condition():
            assert process.poll() is None, f"the run ended before {what}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            os.killpg(group, signal.SIGCONT)
            time.sleep(0.005)
            os.killpg(group, signal.SIGSTOP)
    finally:
        os.killpg(group, signal.SIGKILL)
        os.killpg(group, signal.SIGCONT)
    out, _ = process.communicate(timeout=60)
    return out


def step_started(root: Path, step: str) -> bool:
    _, events = run_events(root, {dg.DagsterEventType.STEP_START})
    return any(e.step_key == step for e in events)


def steps_succeeded(root: Path, run_id: str) -> set[str]:
    records = (
        instance_of(root)
        .get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        .records
    )
    return {r.event_log_entry.step_key for r in records}


def assert_warehouse_opens(root: Path) -> None:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.transactions").fetchone()[0] > 0


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    generate(folder, customers=CUSTOMERS, seed=SEED, end_date=END_DATE)
    return folder


@pytest.fixture(scope="module")
def reference(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An uninterrupted run on every file, and the checksums of its tables."""
    root = tmp_path_factory.mktemp("reference")
    shutil.copytree(landing, root / "landing")
    saved = {k: os.environ.get(k) for k in ("SCORING_DATA_DIR", "SCORING_WAREHOUSE_PATH")}
    layout = use_data_dir(root)
    instance = dg.DagsterInstance.ephemeral()
    try:
        result = run_daily(SCORING_DATE, instance)
        assert result.success, failure_text(result)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {"layout": layout, "instance": instance, "checksums": table_checksums(layout.warehouse)}


@pytest.mark.slow
def test_the_same_files_twice_give_the_same_warehouse(reference: dict) -> None:
    layout = use_data_dir(reference["layout"].root)
    first = reference["checksums"]
    assert first["raw.transactions"][0] > 1000 and first["marts.customer_scores"][0] > CUSTOMERS

    again = run_daily(SCORING_DATE, reference["instance"])

    assert again.success, failure_text(again)
    assert table_checksums(layout.warehouse) == first


@pytest.mark.slow
def test_killed_runs_leave_the_published_file_and_a_rerun_converges(
    reference: dict, landing: Path, tmp_path: Path
) -> None:
    """Files arrive late and out of order, and three runs are killed on the way:
    while loading, while dbt builds, while publication writes. Each time BI keeps the last
    good version byte for byte; the next run fails the dead run, frees the writer slot and
    says so; the last run ends with the same tables as the uninterrupted reference."""
    root = tmp_path / "data"
    late = [p for p in landing.rglob("*.csv") if any(m in p.name for m in LATE_MONTHS)]
    # The latest months arrive first: the first run loads them only.
    for path in late:
        target = root / "landing" / path.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for path in landing.rglob("*.csv"):
        if "_20" not in path.name:  # CRM and campaign files have no month
            target = root / "landing" / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    code, out, err = finish(start_cli(root))
    assert code == 0, err
    published = root / "published" / "segments.duckdb"
    good = published.read_bytes()
    # Then the earlier months arrive.
    shutil.copytree(landing, root / "landing", dirs_exist_ok=True)

    # 1. Killed during the load: as transactions, the last source, begins to load. A clean
    # file loads in a tenth of a second, so its commit may come first; the kill still lands
    # before any dbt step.
    process = start_cli(root)
    wait_until(process, lambda: step_started(root, "raw__transactions"), "the load")
    killed_run, _ = run_events(root, set())
    kill(process)
    _, started = run_events(root, {dg.DagsterEventType.STEP_START})
    assert {e.step_key for e in started} <= {f"raw__{source}" for source in SOURCES}
    assert published.read_bytes() == good
    assert_warehouse_opens(root)
    assert instance_of(root).get_run_by_id(killed_run).status == dg.DagsterRunStatus.STARTED

    # 2. Killed while dbt builds (a few models done, most not).
    process = start_cli(root)

    def dbt_building() -> bool:
        run_id, events = run_events(root, {dg.DagsterEventType.ASSET_MATERIALIZATION})
        return run_id != killed_run and sum(e.step_key == "scoring_models" for e in events) >= 3

    wait_until(process, dbt_building, "dbt to build a few models")
    dbt_run, _ = run_events(root, set())
    out = kill(process)
    assert f"Run {killed_run[:8]} (daily_refresh) had stopped without finishing" in out, out
    assert "scoring_models" not in steps_succeeded(root, dbt_run)
    assert instance_of(root).get_run_by_id(killed_run).status == dg.DagsterRunStatus.FAILURE
    assert published.read_bytes() == good
    assert_warehouse_opens(root)

    # 3. Killed while publication writes its new file.
    process = start_cli(root)
    folder = root / "published"

    def dbt_done() -> bool:
        run_id, events = run_events(root, {dg.DagsterEventType.STEP_SUCCESS})
        return run_id != dbt_run and any(e.step_key == "scoring_models" for e in events)

    wait_until(process, dbt_done, "dbt to finish")
    publish_run, _ = run_events(root, set())
    kill_in_state(
        process,
        lambda: any(p.name.startswith(".segments.duckdb.") for p in folder.iterdir()),
        "publication to write",
    )
    assert "published__segments" not in steps_succeeded(root, publish_run)
    assert published.read_bytes() == good
    assert_warehouse_opens(root)

    # 4. A plain rerun: the dead run is failed, its slot freed, and the tables converge.
    code, out, err = finish(start_cli(root))
    assert code == 0, err
    assert f"Run {publish_run[:8]} (daily_refresh) had stopped without finishing" in out, out
    assert "freed its writer slot" in out
    instance = instance_of(root)
    for run_id in (killed_run, dbt_run, publish_run):
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info(settings.WRITER_POOL).claimed_slots == []
    assert table_checksums(root / "warehouse.duckdb") == reference["checksums"]
    assert published.read_bytes() != good
    assert not [p for p in folder.rglob(".*.tmp")], "a half-written file was left behind"
    with duckdb.connect(str(published), read_only=True) as con:
        versions = con.execute("select version from publication_log order by 1").fetchall()
    assert versions == [(1,), (2,)]


def test_a_run_waiting_for_the_writer_says_who_holds_it_and_gives_up(tmp_path: Path) -> None:
    """A live run (this test's process) holds the writer: the CLI waits, names it, gives up."""
    root = tmp_path / "data"
    generate(root / "landing", customers=20, seed=SEED, end_date=END_DATE)
    home = settings.prepare_dagster_home(settings.data_dir(root))
    instance = dg.DagsterInstance.from_config(str(home))
    holder = hold_the_writer(
        instance, {"scoring/pid": str(os.getpid()), "scoring/host": os.uname().nodename}
    )
    storage = instance.event_log_storage

    started = time.monotonic()
    code, out, err = finish(start_cli(root, SCORING_WRITER_WAIT_SECONDS="3"))
    waited = time.monotonic() - started

    assert code == 1
    assert "Waiting for the warehouse writer (pool duckdb_writer), held by run 0123abcd" in out
    assert err.strip().startswith("Gave up after 3 s waiting for the warehouse writer"), err
    assert "run 0123abcd (daily_refresh, step scoring_models" in err
    assert "SCORING_WRITER_WAIT_SECONDS" in err and "Traceback" not in err
    assert waited < 120
    assert not (root / "warehouse.duckdb").exists()  # nothing ran
    # The holder is alive (this process): it keeps its slot and its status.
    assert instance.get_run_by_id(holder.run_id).status == dg.DagsterRunStatus.STARTED
    assert storage.get_concurrency_info(settings.WRITER_POOL).claimed_slots != []


def test_a_write_error_during_publication_keeps_the_last_good_version(
    demo_run: PipelineRun, tmp_path: Path
) -> None:
    """The disk fills up while publication writes (a file size limit makes every write past
    64 KiB fail with EFBIG, as a full disk fails with ENOSPC): BI keeps the last version."""
    layout = settings.data_dir(tmp_path / "data")
    layout.root.mkdir()
    for name in ("warehouse.duckdb", "published", "erasure"):
        source = demo_run.layout.root / name
        if source.is_dir():  # parquet/current is a symlink: copy it as one
            shutil.copytree(source, layout.root / name, symlinks=True)
        else:
            shutil.copy(source, layout.root / name)
    before = file_digests(layout.published)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        with pytest.raises(duckdb.Error, match="(?i)too large|no space"):
            publisher.publish(layout, SCORING_DATE, "disk-full", [], [])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)

    assert file_digests(layout.published) == before  # same bytes, no half-written file left
    publisher.publish(layout, SCORING_DATE, "disk-freed", [], [])
    assert file_digests(layout.published) != before


def hold_the_writer(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.DagsterRun:
    """A STARTED run that holds the writer slot, as a run of another process does."""
    holder = dg.DagsterRun(
        job_name="daily_refresh",
        run_id="0123abcd-0000-0000-0000-000000000000",
        status=dg.DagsterRunStatus.STARTED,
        tags=tags,
    )
    instance.run_storage.add_run(holder)
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(settings.WRITER_POOL)
    claim = storage.claim_concurrency_slot(settings.WRITER_POOL, holder.run_id, "scoring_models")
    assert claim.is_claimed
    return holder


@pytest.mark.slow
def test_a_step_that_waits_for_the_writer_mid_run_gives_up_after_the_bound(
    tmp_path: Path,
) -> None:
    """Another run takes the writer just after the run's start-up check: the waiting step
    is bounded too, and the run is marked failed without holding anything."""
    root = tmp_path / "data"
    generate(root / "landing", customers=20, seed=SEED, end_date=END_DATE)
    home = settings.prepare_dagster_home(settings.data_dir(root))
    instance = dg.DagsterInstance.from_config(str(home))
    process = start_cli(root, SCORING_WRITER_WAIT_SECONDS="3")
    first_line = process.stdout.readline()  # printed once the start-up check found it free
    assert first_line.startswith("Scoring as of 2026-11-01"), first_line
    holder = hold_the_writer(
        instance, {"scoring/pid": str(os.getpid()), "scoring/host": os.uname().nodename}
    )

    code, out, err = finish(process)

    assert code == 1
    # After the run's first progress line, the one line that says what it waited for.
    waited = [line for line in out.splitlines() if not line.startswith("[")]
    assert waited[0].startswith("Step raw__campaign_contacts waits for the warehouse writer"), out
    # Checked every 2 s: it gives up between 3 and 3 + 2 s (and a poll) after it began
    # waiting, and says the limit it was given.
    assert err.startswith("Gave up after 3 s waiting for the warehouse writer"), err
    assert "held by run 0123abcd (daily_refresh, step scoring_models" in err
    assert "\nThe published tables were not changed.\n" in err
    (mine,) = [
        r.dagster_run for r in instance.get_run_records() if r.dagster_run.run_id != holder.run_id
    ]
    assert mine.status == dg.DagsterRunStatus.FAILURE
    info = instance.event_log_storage.get_concurrency_info(settings.WRITER_POOL)
    assert [slot.run_id for slot in info.claimed_slots] == [holder.run_id]
    assert [step.run_id for step in info.pending_steps] == [holder.run_id]
    assert not (root / "published").exists()
