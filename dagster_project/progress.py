"""One line per step while `make run` works, so a long run shows it is alive and where time goes.

The run's own output (dbt's log, step logs) goes to a log file; this reads the run's events
from the Dagster instance in a background thread and prints a line when a step starts and
when it ends (with its duration, assets, rows and checks), and a heartbeat while a long step
(the dbt build at a million customers) is still working.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg

_EVENTS = {
    dg.DagsterEventType.RUN_START,
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}


@dataclass
class _Step:
    started: float
    checks: int = 0
    checks_failed: int = 0
    rows_by_asset: dict[str, int | None] = field(default_factory=dict)
    quarantined: int = 0  # rows a load of this step put in quarantine


class RunProgress:
    """Prints the progress of run `run_id` to `out` until stopped (use as a context manager)."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        run_id: str,
        out: TextIO,
        poll_seconds: float = 0.5,
        heartbeat_seconds: float = 30.0,
    ):
        self._instance, self._run_id, self._out = instance, run_id, out
        self._poll, self._heartbeat = poll_seconds, heartbeat_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="run-progress", daemon=True)
        self._cursor: str | None = None
        self._steps: dict[str, _Step] = {}
        self._begin = self._last_line = time.monotonic()

    def __enter__(self) -> RunProgress:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._read_new_events()  # the last events, written just before the run returned

    def _follow(self) -> None:
        while not self._stop.wait(self._poll):
            self._read_new_events()
            if self._steps and time.monotonic() - self._last_line >= self._heartbeat:
                running = ", ".join(
                    f"{key} ({_duration(time.monotonic() - step.started)})"
                    for key, step in self._steps.items()
                )
                self._print(f"still running: {running}")

    def _read_new_events(self) -> None:
        while True:
            try:
                connection = self._instance.get_records_for_run(
                    self._run_id, cursor=self._cursor, of_type=_EVENTS, limit=200
                )
            except Exception:  # the run's storage not created yet: try again next poll
                return
            for record in connection.records:
                self._on_event(record.event_log_entry.dagster_event)
            self._cursor = connection.cursor
            if not connection.has_more:
                return

    def _on_event(self, event) -> None:
        key = (event.step_key or "").replace("__", "/")  # raw__transactions: raw/transactions
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            self._print(f"run {self._run_id[:8]} started")
            return
        if kind == dg.DagsterEventType.STEP_START:
            self._steps[key] = _Step(time.monotonic())
            self._print(f"{key} started")
            return
        step = self._steps.get(key)
        if step is None:
            return
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            rows = materialization.metadata.get("dagster/row_count")
            asset = materialization.asset_key.to_user_string()
            step.rows_by_asset[asset] = int(rows.value) if rows is not None else None
            quarantined = materialization.metadata.get("rows_quarantined")
            step.quarantined += int(quarantined.value) if quarantined is not None else 0
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            step.checks += 1
            step.checks_failed += not event.event_specific_data.passed
        else:
            del self._steps[key]
            outcome = "done" if kind == dg.DagsterEventType.STEP_SUCCESS else "FAILED"
            self._print(
                f"{key} {outcome} in {_duration(time.monotonic() - step.started)}"
                + _summary(key, step)
            )

    def _print(self, text: str) -> None:
        self._last_line = time.monotonic()
        print(f"[{_duration(self._last_line - self._begin):>7}] {text}", file=self._out, flush=True)


def _summary(key: str, step: _Step) -> str:
    """The rows of the step's own asset (raw/transactions) and those its load quarantined,
    else how many tables it built."""
    parts = []
    if step.rows_by_asset.get(key) is not None:
        parts.append(f"{step.rows_by_asset[key]:,} rows")
        if step.quarantined:
            parts.append(f"{step.quarantined:,} quarantined")
    elif len(step.rows_by_asset) > 1:
        parts.append(f"{len(step.rows_by_asset)} tables")
    if step.checks:
        failed = f", {step.checks_failed} failed" if step.checks_failed else ""
        parts.append(f"{step.checks} check{'s' if step.checks > 1 else ''}{failed}")
    return f" ({', '.join(parts)})" if parts else ""


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
