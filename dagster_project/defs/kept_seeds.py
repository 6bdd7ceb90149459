"""The dbt step keeps the seeds that have not changed since their tests last passed.

Seeds are the grids and thresholds of the scores: thirteen small CSV files that change
when an analyst edits one, not every morning. Loading them and running their 52 tests
costs every run a dbt invocation of its own (Dagster gives the seeds a step: they read
nothing the other dbt steps wait for), some 6 seconds for 2 of dbt's work.

A selected seed is kept (not loaded again) when all of these hold:
- its state is the one its last materialisation recorded (`SEED_STATE`): a digest of the
  CSV file as it is on disk, its dbt config (column types, ...), and each of its tests
  in this step (SQL or generic test and arguments, the macros it calls, and the files of
  the other seeds it reads);
- its table is still in the warehouse;
- the latest result of each of those tests passed.

A kept seed's step records it as materialised (metadata `kept`: the table is what a load
would give). The results of its tests that read kept seeds only are carried over, passed,
with the same note, and dbt leaves those tests out; one that also reads a seed loaded
again runs in dbt. So the models below run and publication sees every check passed.
Nothing is kept on a full refresh nor on Spark (its session starts empty).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from .. import settings
from .dbt_project import UNIQUE_ID, read_manifest
from .resources import Warehouse

# Metadata of a seed's materialisation: the state it was loaded (or kept) in.
SEED_STATE = "seed_state"
# Metadata of a kept seed and of its carried-over test results.
KEPT_NOTE = "kept"


@dataclass
class SeedsKept:
    """The selected seeds' states, which of them this build keeps, and the tests whose
    results it carries over (dbt's `--exclude` for both: `excluded`)."""

    states: dict[dg.AssetKey, str] = field(default_factory=dict)
    kept: dict[dg.AssetKey, str] = field(default_factory=dict)  # key -> its last run's date
    carried: dict[dg.AssetKey, list[dg.AssetCheckKey]] = field(default_factory=dict)
    outputs: dict[dg.AssetKey, str] = field(default_factory=dict)  # the op's output names
    excluded: list[str] = field(default_factory=list)

    def events(self) -> Iterator[dg.Output | dg.AssetCheckResult]:
        """The kept seeds' materialisations and their carried-over test results."""
        for key, previous in self.kept.items():
            note = f"unchanged since the run for {previous}: table kept"
            yield dg.Output(
                None,
                output_name=self.outputs[key],
                metadata={SEED_STATE: self.states[key], KEPT_NOTE: note},
            )
            for check in self.carried[key]:
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=check.name,
                    passed=True,
                    metadata={KEPT_NOTE: f"passed on the same seed, {note}"},
                )


def seeds_to_keep(context: dg.AssetExecutionContext, warehouse: Warehouse) -> SeedsKept:
    """The states of the step's selected seeds, and those it may keep."""
    specs = context.assets_def.specs_by_key
    seeds = {
        key: specs[key].metadata[UNIQUE_ID]
        for key in context.selected_asset_keys
        if specs[key].metadata[UNIQUE_ID].startswith("seed.")
    }
    result = SeedsKept()
    if not seeds:
        return result
    manifest = read_manifest()
    nodes = manifest["nodes"]
    # The tests Dagster runs as the seeds' checks in this step (a test that also reads a
    # source runs after the loads, in another step).
    test_of = {spec.key: spec.metadata[UNIQUE_ID] for spec in context.assets_def.check_specs}
    checks: dict[dg.AssetKey, list[dg.AssetCheckKey]] = {key: [] for key in seeds}
    for check in context.selected_asset_check_keys:
        if check.asset_key in checks:
            checks[check.asset_key].append(check)
    result.states = {
        key: _state(manifest, unique_id, [nodes[test_of[c]] for c in checks[key]])
        for key, unique_id in seeds.items()
    }
    present = _tables(warehouse)
    latest = context.instance.get_latest_materialization_events(list(seeds))
    storage = context.instance.event_log_storage
    for key, unique_id in seeds.items():
        built = latest.get(key)
        recorded = built and built.asset_materialization.metadata.get(SEED_STATE)
        if (
            recorded
            and recorded.value == result.states[key]
            and (nodes[unique_id]["schema"], nodes[unique_id]["alias"]) in present
            and all(_last_passed(storage, check, context.run.run_id) for check in checks[key])
        ):
            result.kept[key] = built.dagster_event.partition or "an earlier run"
            result.outputs[key] = context.assets_def.get_output_name_for_asset_key(key)
    kept_ids = {seeds[key] for key in result.kept}
    for key in result.kept:
        result.carried[key] = [
            c for c in checks[key] if set(nodes[test_of[c]]["depends_on"]["nodes"]) <= kept_ids
        ]
    result.excluded = [
        ".".join(nodes[unique_id]["fqn"])
        for unique_id in sorted(kept_ids)
        + sorted(test_of[c] for carried in result.carried.values() for c in carried)
    ]
    return result


def _tables(warehouse: Warehouse) -> set[tuple[str, str]]:
    """(schema, table) of every table in the warehouse; none before its first load."""
    if not warehouse.layout.warehouse.exists():
        return set()
    with warehouse.connect(read_only=True) as con:
        return set(
            con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        )


def _state(manifest: Mapping[str, Any], unique_id: str, tests: list[Mapping[str, Any]]) -> str:
    """A digest of what loading the seed and running its tests depend on."""
    node = manifest["nodes"][unique_id]

    def file_digest(seed_id: str) -> str:
        path = settings.DBT_PROJECT_DIR / manifest["nodes"][seed_id]["original_file_path"]
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def test_definition(test: Mapping[str, Any]) -> list:
        macros = test["depends_on"]["macros"]
        return [
            test["unique_id"],
            test["checksum"],  # a singular test's SQL
            test.get("test_metadata"),  # a generic test and its arguments
            test["config"],
            {m: manifest["macros"][m]["macro_sql"] for m in macros if m in manifest["macros"]},
            {
                other: file_digest(other)
                for other in test["depends_on"]["nodes"]
                if other.startswith("seed.") and other != unique_id
            },
        ]

    state = {
        "file": file_digest(unique_id),
        "config": node["config"],
        "tests": sorted(json.dumps(test_definition(t), sort_keys=True, default=str) for t in tests),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _last_passed(storage, check: dg.AssetCheckKey, run_id: str) -> bool:
    """Whether the check's latest execution before this run (which has planned it) ended
    with a passed evaluation: one still planned, failed or skipped holds none."""
    for record in storage.get_asset_check_execution_history(check, limit=3):
        if record.run_id == run_id:
            continue
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        return bool(getattr(evaluation, "passed", False))
    return False
