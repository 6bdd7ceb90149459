"""Command line: `python -m dagster_project run|replay|prepare|ui`.

`run` is what `make run` calls: demo data if the landing folder is empty, every asset
materialised for one scoring date, then the published segments printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
import uuid
from datetime import date, timedelta
from pathlib import Path

from . import settings


def prepare() -> settings.DataDir:
    """Data directory, Dagster instance config and dbt manifest, ready for a run or the UI."""
    layout = settings.data_dir()
    settings.prepare_dagster_home(layout)
    from .defs.dbt_project import prepare_manifest

    prepare_manifest()
    return layout


def instance_of(layout: settings.DataDir):
    """The data directory's Dagster instance (runs, events, pools)."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(settings.prepare_dagster_home(layout)))


def landing_is_empty(layout: settings.DataDir) -> bool:
    return not layout.landing.exists() or not any(p.is_file() for p in layout.landing.rglob("*"))


def run(scoring_date: date, demo_customers: int, full_refresh: bool = False) -> int:
    from .defs.partitions import out_of_range

    problem = out_of_range(scoring_date)
    if problem:  # one line, before anything is prepared
        print(problem, file=sys.stderr)
        return 1
    layout = prepare()
    from .defs.resources import ScoringSettings
    from .lib.sources import MappingError

    try:  # one clear message before anything runs, not one per ingestion asset
        ScoringSettings.from_environment().mapping()
    except MappingError as exc:
        print(f"Source mapping error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if landing_is_empty(layout) and layout.warehouse.exists():
        # Demo files in a data directory that holds real loads would be loaded as real
        # data (same file names, so they replace the real files' rows).
        print(
            f"No landing files in {layout.landing}, but {layout.warehouse} holds earlier "
            "loads: put the landing files back (a folder not mounted?) and run again. Demo "
            "data are generated only in a new data directory.",
            file=sys.stderr,
        )
        return 1
    if landing_is_empty(layout) and "SCORING_SOURCES" not in os.environ:
        from .demo import generate

        print(
            f"No landing files: generating demo data for {demo_customers} customers "
            f"up to {scoring_date - timedelta(days=1)} in {layout.landing}"
        )
        generate(
            layout.landing, customers=demo_customers, end_date=scoring_date - timedelta(days=1)
        )

    from . import run_guard
    from .definitions import defs
    from .progress import RunProgress

    instance = instance_of(layout)
    wait = run_guard.writer_wait_seconds()
    terminal = sys.stdout

    def say(line: str) -> None:
        print(line, file=terminal, flush=True)

    # A run killed earlier must not hold the writer: fail it, free its slot, say so.
    blocked = run_guard.wait_for_writer(instance, wait, say)
    if blocked:
        print(blocked, file=sys.stderr)
        return 1
    print(f"Scoring as of {scoring_date} with data in {layout.root}", flush=True)
    # dbt's and the steps' own output go to a log file; the terminal gets the summary.
    log_path = layout.root / "logs" / f"run-{scoring_date.isoformat()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_id = str(uuid.uuid4())
    watchdog = run_guard.WriterWatchdog(instance, wait, say)
    watchdog.start()
    try:
        with (
            log_path.open("w", encoding="utf-8") as log,
            RunProgress(instance, run_id, out=terminal),
            contextlib.redirect_stdout(log),
        ):
            result = execute_daily(defs, scoring_date, instance, run_id, full_refresh)
    finally:
        watchdog.stop()
    if not result.success:
        # The first line names what the user must fix.
        cause, *details = failure_messages(result, layout.warehouse) or ["see the log"]
        print(f"\nThe run failed: {cause}", file=sys.stderr)
        print("The published tables were not changed.", file=sys.stderr)
        for message in details:
            print(f"  - {message}", file=sys.stderr)
        print(f"Details: {log_path}, or `make ui`, then Runs.", file=sys.stderr)
        return 1
    print_published(layout)
    print(f"dbt and step output: {log_path}")
    return 0


def execute_daily(
    defs, scoring_date: date, instance, run_id: str | None = None, full_refresh: bool = False
):
    """daily_refresh for one scoring date in this process, tagged with its pid and host;
    `full_refresh` rebuilds the incremental dbt models from raw."""
    from .defs.scoring import full_refresh_run_config
    from .run_guard import run_tags

    return defs.resolve_job_def("daily_refresh").execute_in_process(
        partition_key=scoring_date.isoformat(),
        instance=instance,
        run_id=run_id,
        raise_on_error=False,
        tags=run_tags(),  # so a later run can tell whether this one's process is alive
        # The summary below is the user's first line of help, not Dagster's tracebacks.
        run_config={
            "loggers": {
                "console": {
                    "config": {"log_level": os.environ.get("SCORING_LOG_LEVEL", "CRITICAL")}
                }
            },
            **(full_refresh_run_config() if full_refresh else {}),
        },
    )


def failure_messages(result, warehouse: Path | None = None) -> list[str]:
    """What a user needs from a failed run, cause first: a source mostly quarantined, then
    failed steps and checks in words (what failed because of that quarantine is named as
    a consequence, not as a cause)."""
    from .lib.expectations import load_parameters
    from .lib.load_report import quarantine_causes

    limits = load_parameters(settings.EXPECTATIONS_DIR)
    causes = quarantine_causes(
        warehouse or settings.data_dir().warehouse,
        limits["max_quarantine_share"],
        limits["max_file_quarantine_share"],
    )
    failed_steps: dict[str, list[str]] = {}  # message -> steps, so a shared cause shows once
    checks: list[tuple[str, str]] = []  # (check name, message)
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            error = data.error
            while error is not None and error.cause is not None:
                error = error.cause
            if error and error.cls_name == "DagsterAssetCheckFailedError":
                continue  # the failed check itself is reported below, with its details
            text = (data.user_failure_data and data.user_failure_data.description) or (
                error.message.strip() if error else event.message
            )
            failed_steps.setdefault(text, []).append(event.step_key)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                checks.append((evaluation.check_name, _check_failure(evaluation)))
    # A file or mapping the loader refused comes first: nothing after it can be right.
    loads, steps = [], []
    for text, names in failed_steps.items():
        is_load = all(name.startswith("raw__") for name in names)
        (loads if is_load else steps).append(f"{', '.join(names)}: {text}")
    if not causes:
        return loads + steps + [message for _, message in checks]
    # The load quality check speaks of the cause; the rest are its symptoms.
    symptoms = [name for name, _ in checks if name != "gx_load_quality"]
    symptoms += [name for names in failed_steps.values() for name in names]
    symptoms = [name for name in symptoms if not name.startswith("raw__")]
    consequence = (
        [
            f"as a consequence, {len(symptoms)} more checks or steps failed: "
            f"{', '.join(symptoms[:5])}{', ...' if len(symptoms) > 5 else ''}"
        ]
        if symptoms
        else []
    )
    load_check = [message for name, message in checks if name == "gx_load_quality"]
    return loads + causes + load_check + consequence


def _check_failure(evaluation) -> str:
    """A failed check in words: a GX suite's failed expectations, or a dbt test's outcome."""
    metadata = evaluation.metadata
    if "failures" in metadata:
        detail = metadata["failures"].value
    elif "dagster_dbt/failed_row_count" in metadata:
        status = metadata["status"].value if "status" in metadata else "fail"
        detail = f"dbt test {status}: {metadata['dagster_dbt/failed_row_count'].value} failing rows"
    else:
        detail = evaluation.description or "failed (no detail; see the log)"
    return (
        f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed:\n"
        + textwrap.indent(str(detail), "      ")
    )


def print_published(layout: settings.DataDir) -> None:
    from .lib.publisher import read_segment_table

    rows = read_segment_table(layout.published_db)
    print(f"\nPublished {layout.published_db}")
    print(f"{'segment':<22}{'customers':>10}{'share':>9}{'avg monetary':>15}")
    for segment, customers, share, avg_monetary in rows:
        monetary = f"{avg_monetary:,.2f}" if avg_monetary is not None else "-"
        print(f"{segment:<22}{customers:>10}{share:>9.1%}{monetary:>15}")
    print(f"{'total':<22}{sum(r[1] for r in rows):>10}")


def forget(customer: str) -> int:
    """Erase one person from the data directory; see lib/erasure.py."""
    import duckdb

    from . import run_guard
    from .lib import erasure
    from .lib.personal_data import salt
    from .lib.warehouse import connect

    layout = settings.data_dir()
    instance = instance_of(layout)
    for dead in run_guard.release_dead_runs(instance):
        print(dead.describe())
    holders = run_guard.writer_holders(instance)
    if holders:
        print(
            f"A run is writing the warehouse ({run_guard.describe_holders(instance, holders)}): "
            "nothing was erased. Run `forget` again once it has finished.",
            file=sys.stderr,
        )
        return 1
    secret = salt(layout.root)
    key = customer.strip().lower()
    person = erasure.Person(emails={key}) if "@" in key else erasure.Person(ids={key})
    removed: dict[str, int] = {}
    try:
        if layout.warehouse.exists():  # the CRM links the id and the e-mail
            with connect(layout.warehouse, read_only=True) as con:
                person = erasure.identify(con, customer)
        # Files first, the warehouse last: until the warehouse commits, running `forget`
        # again finds the same person (their CRM row links id and e-mail) and finishes.
        published = erasure.erase_from_published(layout.published, person, secret)
        landing = erasure.scrub_landing(layout.landing, person)
        instance_records = erasure.scrub_sqlite(layout.dagster_home, person)
        logs = erasure.scrub_logs([layout.root / "logs", layout.dagster_home], person)
        if layout.warehouse.exists():
            with connect(layout.warehouse) as con:
                removed = erasure.erase_from_warehouse(con, person, secret)
            erasure.compact(layout.warehouse)
    except erasure.ErasureError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except duckdb.IOException as exc:
        print(
            f"The warehouse is in use ({str(exc).splitlines()[0]}): the erasure is not "
            "finished. Run `forget` again once the run or reader holding it has finished.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Forgot {customer!r} ({len(person.ids)} id(s), {len(person.emails)} e-mail(s)): "
        f"{sum(removed.values())} warehouse rows, {sum(published.values())} published rows, "
        f"{sum(landing.values())} landing lines removed; identifiers replaced in "
        f"{sum(logs.values())} log lines and {sum(instance_records.values())} Dagster records. "
        "Recorded in raw.erasure_register as salted hashes; a file that brings them back is "
        "loaded without them."
    )
    for what, counts in [("warehouse", removed), ("published", published), ("landing", landing)]:
        for name, count in counts.items():
            print(f"  - {what} {name}: {count}")
    remaining = erasure.files_mentioning(layout.root, person)
    if remaining:
        print(
            "Still mentioned in: "
            + ", ".join(str(p.relative_to(layout.root)) for p in remaining)
            + ". Remove or edit these files by hand.",
            file=sys.stderr,
        )
        return 1
    return 0


def ui() -> None:
    layout = prepare()
    # `dagster dev` and the processes it starts find this interpreter's scripts (dagster,
    # dbt) first on PATH, the data directory's instance as DAGSTER_HOME, and the data
    # directory itself, resolved here.
    scripts = Path(sys.executable).parent
    environment = {
        **os.environ,
        "SCORING_DATA_DIR": str(layout.root),
        "DAGSTER_HOME": str(layout.dagster_home),
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    workspace = str(settings.PROJECT_ROOT / "workspace.yaml")
    dagster = str(scripts / "dagster")
    os.execve(dagster, [dagster, "dev", "-w", workspace], environment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialise every asset for one scoring date")
    run_parser.add_argument(
        "--scoring-date",
        type=date.fromisoformat,
        help="YYYY-MM-DD (default: SCORING_DATE, else today)",
    )
    run_parser.add_argument(
        "--demo-customers",
        type=int,
        default=int(os.environ.get("SCORING_DEMO_CUSTOMERS", "10000")),
        help="customers in generated demo data (only if landing is empty)",
    )
    run_parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from raw instead of adding the new load batch "
        "(after a change to a staging model or a suspected drift; scored history is kept)",
    )
    replay_parser = commands.add_parser(
        "replay", help="recompute a published scoring date in a scratch copy and compare"
    )
    replay_parser.add_argument("--scoring-date", type=date.fromisoformat, required=True)
    replay_parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    forget_parser = commands.add_parser(
        "forget", help="erase one person (GDPR request) from every table and file"
    )
    forget_parser.add_argument(
        "--customer", required=True, help="the person's CRM customer id or e-mail address"
    )
    commands.add_parser("prepare", help="prepare the dbt manifest and the Dagster instance")
    commands.add_parser("ui", help="start the Dagster UI (dagster dev) on this project")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(
            args.scoring_date or settings.default_scoring_date(),
            args.demo_customers,
            full_refresh=args.full_refresh,
        )
    if args.command == "replay":
        from .replay import replay

        return replay(prepare(), args.scoring_date, keep=args.keep)
    if args.command == "forget":
        return forget(args.customer)
    if args.command == "prepare":
        prepare()
        return 0
    ui()
    return 0


if __name__ == "__main__":
    sys.exit(main())
