"""Runs: `daily_refresh` launched as the UI launches it, beside the same job run by the CLI;
and what dbt's partial parsing saves when the scoring date changes.

Data: the demo data for 300 customers (times `--scale`, at least 200), copied into two
fresh data directories, one per way of running, so neither reuses the other's loads.

* CLI (baseline): `python -m dagster_project run` in a subprocess, process start and
  imports included, as `make run` costs a user.
* UI-style launch: `dagster job launch` against a temporary DAGSTER_HOME with the project's
  instance config and an immediate run coordinator: the instance's run launcher starts a
  run worker process (`dagster api execute_run`) that loads the code location and executes
  the job with its executor, as it does for a run launched from the UI, a schedule or a
  sensor. Timed from the run's creation (the UI has its code location loaded already when
  one clicks) to its end; the launching command's own start-up is printed apart. The daemon's
  queue is left out (no daemon: it would also start the landing sensor's run). Peak memory
  is the run worker's high-water mark, read while it runs.
* dbt parse: a full parse, then a parse for another scoring date passed the old way (as
  `--vars`: dbt re-parses everything) and the project's way (environment variable read only
  at execution, see dbt/macros/scoring_date.sql: dbt parses partially). Every dbt step of a
  run saves the difference.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from dagster_project import settings

from ._measure import Comparison, Measurement, measure, print_ratio, scaled, timed
from ._targets import Target

CUSTOMERS = 300
SCORING_DATE = date(2026, 11, 1)
OTHER_DATE = date(2026, 10, 15)
BIN = Path(sys.executable).parent
# An immediate run coordinator: `dagster job launch` hands the run to the run launcher.
IMMEDIATE_COORDINATOR = """
run_coordinator:
  module: dagster.core.run_coordinator
  class: DefaultRunCoordinator
"""


def project_environment(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a project command on the data directory `root`, nothing else
    of this shell's project settings (`extra` added)."""
    env = {**os.environ, "SCORING_DATA_DIR": str(root)}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(settings.PROJECT_ROOT), os.environ.get("PYTHONPATH")])
    )
    env.pop("SCORING_SOURCES", None)
    env.pop("DAGSTER_HOME", None)  # the data directory's own instance, unless given
    env.update(extra)
    env.update(DAGSTER_DISABLE_TELEMETRY="1", GX_ANALYTICS_ENABLED="false")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def cli_run(root: str, scoring_date: date = SCORING_DATE) -> str:
    """`python -m dagster_project run` for the scoring date, in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project", "run", "--scoring-date", str(scoring_date)],
        env=project_environment(Path(root)),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"the CLI run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return "ok"


def _high_water_mark(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if "VmHWM" in line)
    except (OSError, StopIteration):
        return 0


def ui_style_run(root: Path, home: Path) -> tuple[float, float, int, str]:
    """Launch daily_refresh through the instance's run launcher and wait for its end.

    Returns (seconds from the run's creation to its end, seconds from the launch command's
    start to the run's creation, peak memory of the run worker, final status).
    """
    import dagster as dg

    from dagster_project.run_guard import run_pids

    env = project_environment(root, DAGSTER_HOME=str(home))
    tags = json.dumps({"dagster/partition": SCORING_DATE.isoformat()})
    workspace = str(settings.PROJECT_ROOT / "workspace.yaml")
    command = [str(BIN / "dagster"), "job", "launch", "-w", workspace, "-j", "daily_refresh"]
    instance = dg.DagsterInstance.from_config(str(home))  # its storage, before the launch
    # The launch command's output (and its run worker's: dbt's log among it) goes to a
    # file: a pipe read only at the end fills up while the run goes on, and the worker,
    # blocked writing to it, would never record the run's end.
    output = root / "launch.log"
    started = time.time()
    with output.open("w", encoding="utf-8") as log:
        launcher = subprocess.Popen(
            [*command, "--tags", tags], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT
        )
    peak, deadline = 0, time.monotonic() + 3600
    while True:
        records = instance.get_run_records(limit=1)
        if records and records[0].dagster_run.is_finished:
            record = records[0]
            break
        if not records and launcher.poll() not in (None, 0):
            raise RuntimeError(f"`dagster job launch` failed:\n{output.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("the launched run did not finish within an hour")
        for pid in run_pids(instance, records[0]) if records else ():
            peak = max(peak, _high_water_mark(pid))
        time.sleep(0.2)
    launcher.wait(timeout=600)  # the launch command waits for its run worker
    created = record.create_timestamp.timestamp()
    return record.end_time - created, created - started, peak, record.dagster_run.status.value


def dbt_parse(target: str, warehouse: str, scoring_date: str, as_vars: bool, full: bool) -> str:
    """`dbt parse` with the scoring date as --vars or in the environment."""
    args = [str(BIN / "dbt"), "parse", "--project-dir", str(settings.DBT_PROJECT_DIR)]
    args += ["--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", target]
    args += ["--log-path", target]
    if full:
        args.append("--no-partial-parse")
    env = {**os.environ, "SCORING_WAREHOUSE_PATH": warehouse}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if as_vars:
        args += ["--vars", json.dumps({"scoring_date": scoring_date})]
    else:
        env["SCORING_DATE"] = scoring_date
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout[-3000:]}")
    perf = json.loads((Path(target) / "perf_info.json").read_text())
    return f"{perf['parsed_path_count']} of {perf['path_count']} files parsed"


def _parsing(work_dir: Path) -> None:
    print("\n== dbt parsing when the scoring date changes", flush=True)
    warehouse = str(work_dir / "parse.duckdb")
    results = {}
    for as_vars in (True, False):
        way = "--vars" if as_vars else "environment"
        target = str(work_dir / f"parse-target-{way.strip('-')}")
        timed(f"dbt parse, full ({way})", dbt_parse, target, warehouse, "2026-11-01", as_vars, True)
        results[way] = measure(
            f"dbt parse, next date ({way})",
            0,
            dbt_parse,
            target,
            warehouse,
            OTHER_DATE.isoformat(),
            as_vars,
            False,
        )
        print(f"    {results[way].result}", flush=True)
    saved = results["--vars"].seconds - results["environment"].seconds
    print(f"  => {saved:.1f} s saved on every dbt step of a run with a new scoring date")


def run(work_dir: Path, scale: float) -> list[Comparison]:
    from dagster_project.demo import generate

    customers = scaled(CUSTOMERS, scale, minimum=200)
    print(f"\n== Runs: daily_refresh on {customers:,} demo customers as of {SCORING_DATE}")
    landing = work_dir / "landing"
    end_date = SCORING_DATE - timedelta(days=1)
    timed("generate demo data", partial(generate, customers=customers, end_date=end_date), landing)
    cli_root, ui_root = work_dir / "cli", work_dir / "ui"
    for root in (cli_root, ui_root):
        shutil.copytree(landing, root / "landing")
    cli = measure("CLI run (make run)", customers, cli_run, str(cli_root))

    # The UI's instance: the project's dagster.yaml, runs handed straight to the launcher.
    layout = settings.data_dir(ui_root)
    home = work_dir / "dagster_home_ui"
    home.mkdir()
    project_home = settings.DataDir(work_dir / "instance-config")
    config = (settings.prepare_dagster_home(project_home) / "dagster.yaml").read_text()
    os.environ.pop("DAGSTER_HOME", None)
    (home / "dagster.yaml").write_text(config + IMMEDIATE_COORDINATOR)
    subprocess.run(  # the manifest, as `make ui` prepares it before the UI starts
        [sys.executable, "-m", "dagster_project", "prepare"],
        env=project_environment(layout.root),
        check=True,
        capture_output=True,
    )
    seconds, launch_seconds, peak, status = ui_style_run(layout.root, home)
    if status != "SUCCESS":
        raise SystemExit(f"runs: the UI-style run ended {status}; see {home}")
    ui = Measurement("UI-style launch (run worker)", seconds, peak, customers)
    print(ui.line(), flush=True)
    print(f"    (then {launch_seconds:.1f} s before it, the launch command loading the code)")
    comparison = Comparison("UI launch vs CLI run", ui, cli, target=Target(1.3, None))
    print_ratio(comparison)
    _parsing(work_dir)
    return [comparison]
