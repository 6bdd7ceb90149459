"""A killed run must cost one run, not every later one.

A run whose process was killed (SIGKILL, OOM killer, a reboot) stays STARTED in the Dagster
instance and keeps its `duckdb_writer` pool slot, so every later run waits for that slot.
This module finds such runs (every process the run recorded is gone), marks them failed,
frees their slots, and makes a run that waits for the writer say what it waits for and
give up after a bounded time instead of waiting forever.

Dagster records the pid of the process that executes a run's steps in an engine event
(`pid` metadata); the CLI also tags its runs with pid and host, so a run killed before its
first event is recognised too. Runs of another host are never judged from here.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from . import settings

PID_TAG = "scoring/pid"
HOST_TAG = "scoring/host"
IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def run_tags() -> dict[str, str]:
    """Tags for a run executed in this process: who to ask whether it is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def writer_wait_seconds() -> float:
    """`SCORING_WRITER_WAIT_SECONDS` (default 1800): how long a run waits for the writer."""
    chosen = os.environ.get("SCORING_WRITER_WAIT_SECONDS", "1800")
    try:
        return float(chosen)
    except ValueError:
        raise SystemExit(
            f"SCORING_WRITER_WAIT_SECONDS={chosen!r} is not a number of seconds."
        ) from None


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_alive(pid: int, not_after: float | None = None) -> bool:
    """Whether `pid` runs, and (where /proc tells) was started no later than `not_after`.

    The start-time test tells a reused pid from the run's own process.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    stat, boot = Path(f"/proc/{pid}/stat"), _boot_time()
    if not_after is None or boot is None or not stat.exists():
        return True
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return True
    if fields[0] == "Z":  # a zombie has finished: nothing of the run is executing
        return False
    return started <= not_after + 1.0


def run_pids(instance: dg.DagsterInstance, record: dg.RunRecord) -> dict[int, float]:
    """Every process the run said it executes in, with when it said so: its pid tag (at
    creation) and the `pid` of its engine events."""
    run = record.dagster_run
    pids: dict[int, float] = {}
    if run.tags.get(PID_TAG, "").isdigit():
        pids[int(run.tags[PID_TAG])] = record.create_timestamp.timestamp()
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
    ).records
    for event_record in records:
        entry = event_record.event_log_entry
        metadata = getattr(entry.dagster_event.event_specific_data, "metadata", None) or {}
        pid = metadata.get("pid")
        if pid is not None and str(pid.value).isdigit():
            pids.setdefault(int(pid.value), entry.timestamp)
    return pids


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    pids: tuple[int, ...]
    slots_freed: bool

    def describe(self) -> str:
        freed = " and freed its writer slot" if self.slots_freed else ""
        return (
            f"Run {self.run_id[:8]} ({self.job_name}) had stopped without finishing "
            f"(process {', '.join(map(str, self.pids))} gone): marked it failed{freed}."
        )


def release_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Mark failed every in-progress run of this host whose processes are all gone; free the
    pool slots of those runs and of any finished run that still holds one."""
    host = socket.gethostname()
    storage = instance.event_log_storage
    holders = (
        storage.get_concurrency_run_ids() if storage.supports_global_concurrency_limits else set()
    )
    dead: list[DeadRun] = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        if run.tags.get(HOST_TAG, host) != host:
            continue
        pids = run_pids(instance, record)
        if not pids:
            continue  # nothing to ask: Dagster's run monitoring (start timeout) decides
        # A process that started after the run recorded its pid is another one (pid reused).
        if any(process_alive(pid, not_after=recorded) for pid, recorded in pids.items()):
            continue
        instance.report_run_failed(
            run,
            "The run's process is gone (killed or crashed): marked failed so that later runs "
            "can take the warehouse writer slot.",
        )
        freed = run.run_id in holders
        if freed:
            storage.free_concurrency_slots_for_run(run.run_id)
        dead.append(DeadRun(run.run_id, run.job_name, tuple(sorted(pids)), freed))
    # A finished run that still holds a slot (a crash between its end and the slot's release).
    released = {d.run_id for d in dead}
    stale = holders - released
    if stale:
        for record in instance.get_run_records(filters=dg.RunsFilter(run_ids=sorted(stale))):
            if record.dagster_run.is_finished:
                storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
    return dead


def writer_holders(instance: dg.DagsterInstance) -> list[tuple[str, str]]:
    """(run id, step) of every claim on the warehouse writer pool."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(settings.WRITER_POOL)
    return [(slot.run_id, slot.step_key) for slot in info.claimed_slots]


def describe_holders(instance: dg.DagsterInstance, holders: list[tuple[str, str]]) -> str:
    parts = []
    for run_id, step in holders:
        record = instance.get_run_record_by_id(run_id)
        job = record.dagster_run.job_name if record else "unknown job"
        started = (
            datetime.fromtimestamp(record.start_time, UTC).strftime("%H:%M:%S UTC")
            if record and record.start_time
            else "not started"
        )
        parts.append(f"run {run_id[:8]} ({job}, step {step}, started {started})")
    return "; ".join(parts)


def give_up_message(instance: dg.DagsterInstance, timeout: float, holders) -> str:
    """Said once the wait reached `timeout` (the limit the user set, not the polled time:
    on a busy machine the poll that sees it may come a second late)."""
    return (
        f"Gave up after {timeout:.0f} s waiting for the warehouse writer (pool "
        f"{settings.WRITER_POOL}), held by {describe_holders(instance, holders)}. Let that run "
        "finish (or cancel it in `make ui`, Runs), then run again; SCORING_WRITER_WAIT_SECONDS "
        "sets how long to wait."
    )


def wait_for_writer(
    instance: dg.DagsterInstance, timeout: float, say: Callable[[str], None], poll: float = 1.0
) -> str | None:
    """Release dead runs, then wait until no run holds the writer pool: None when free,
    else (after `timeout` seconds) the message to give up with."""
    started = time.monotonic()
    announced: set[tuple[str, str]] = set()
    while True:
        for dead in release_dead_runs(instance):
            say(dead.describe())
        holders = writer_holders(instance)
        if not holders:
            return None
        waited = time.monotonic() - started
        if waited >= timeout:
            return give_up_message(instance, timeout, holders)
        if not set(holders) <= announced:
            say(
                f"Waiting for the warehouse writer (pool {settings.WRITER_POOL}), held by "
                f"{describe_holders(instance, holders)}; giving up after {timeout:.0f} s."
            )
            announced |= set(holders)
        time.sleep(poll)


class WriterWatchdog(threading.Thread):
    """Bounds how long a step of the run executed in this process waits for the writer.

    Between two steps another run may take the writer slot, and Dagster's in-process
    executor then waits for it without limit (and without checking for interrupts). After
    `timeout` seconds of waiting, this marks the run failed, withdraws its claim, prints
    why and ends the process. Nothing is lost: a waiting step has not started, no
    connection is open, and publication only ever renames complete files.
    """

    def __init__(
        self,
        instance: dg.DagsterInstance,
        timeout: float,
        say: Callable[[str], None],
        poll: float = 2.0,
    ) -> None:
        super().__init__(daemon=True, name="writer-watchdog")
        self.instance, self.timeout, self.say, self.poll = instance, timeout, say, poll
        self._stop = threading.Event()

    def run(self) -> None:
        instance = self.instance
        pid = str(os.getpid())
        waiting_since: float | None = None
        while not self._stop.wait(self.poll):
            info = instance.event_log_storage.get_concurrency_info(settings.WRITER_POOL)
            mine = instance.get_run_records(
                filters=dg.RunsFilter(statuses=IN_PROGRESS, tags={PID_TAG: pid})
            )
            run_ids = {r.dagster_run.run_id for r in mine}
            waiting = [p for p in info.pending_steps if p.run_id in run_ids]
            holders = [(s.run_id, s.step_key) for s in info.claimed_slots]
            if not waiting or any(run_id in run_ids for run_id, _ in holders):
                waiting_since = None
                continue
            for dead in release_dead_runs(instance):
                self.say(dead.describe())
            if waiting_since is None:
                waiting_since = time.monotonic()
                self.say(
                    f"Step {waiting[0].step_key} waits for the warehouse writer (pool "
                    f"{settings.WRITER_POOL}), held by {describe_holders(instance, holders)}; "
                    f"giving up after {self.timeout:.0f} s."
                )
            elif time.monotonic() - waiting_since >= self.timeout:
                message = give_up_message(instance, self.timeout, holders)
                for record in mine:
                    instance.report_run_failed(record.dagster_run, message)
                    instance.event_log_storage.free_concurrency_slots_for_run(
                        record.dagster_run.run_id
                    )
                print(f"{message}\nThe published tables were not changed.", file=sys.stderr)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(1)

    def stop(self) -> None:
        self._stop.set()
