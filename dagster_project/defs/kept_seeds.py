"""The dbt step keeps the seeds that have not changed since their tests last passed.

Seeds are the grids and thresholds of the scores: thirteen small CSV files that change
when an analyst edits one, not every morning. Loading them and running their 52 tests
costs every run a dbt invocation of its own (Dagster gives the seeds a step: they read
nothing the other dbt steps wait for), some 6 seconds for 2 of dbt's work.

A selected seed is kept (not loaded again) when all of these hold:
- its state is the one its last materialisation recorded (`SEED_STATE`): the file's
  checksum, its dbt config (column types, ...), the definition of each test on it, and the
  content of any source such a test reads (the contract lists in `raw.accepted_values`);
- its table is still in the warehouse;
- the latest result of each of its tests passed.

A kept seed's step records it as materialised (metadata `kept`: the table is what a load
would give) and carries each test's passed result over with the same note, so that the
models below run and publication sees every check passed. Nothing is kept on a full
refresh nor on Spark (its session starts empty).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from .dbt_project import dbt_project
from .resources import Warehouse

# Metadata of a seed's materialisation: the state it was loaded (or kept) in.
SEED_STATE = "seed_state"
# Metadata of a kept seed and of its carried-over test results.
KEPT_NOTE = "kept"
UNIQUE_ID = "dagster_dbt/unique_id"


@dataclass
class SeedsKept:
    """The selected seeds' states, and which of them this build keeps."""

    states: dict[dg.AssetKey, str] = field(default_factory=dict)
    kept: dict[dg.AssetKey, str] = field(default_factory=dict)  # key -> its last run's date
    checks: dict[dg.AssetKey, list[dg.AssetCheckKey]] = field(default_factory=dict)
    outputs: dict[dg.AssetKey, str] = field(default_factory=dict)  # the op's output names

    def events(self) -> Iterator[dg.Output | dg.AssetCheckResult]:
        """The kept seeds' materialisations and their tests' results, carried over."""
        for key, previous in self.kept.items():
            note = f"unchanged since the run for {previous}: table kept"
            yield dg.Output(
                None,
                output_name=self.outputs[key],
                metadata={SEED_STATE: self.states[key], KEPT_NOTE: note},
            )
            for check in self.checks[key]:
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
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    checks = {key: [] for key in seeds}
    # (A test that also reads a source may run in another step: Dagster places a check
    # after everything it reads.)
    for check in context.selected_asset_check_keys:
        if check.asset_key in checks:
            checks[check.asset_key].append(check)
    with warehouse.connect(read_only=True) as con:
        tests = _tests_by_seed(manifest)
        result.states = {
            key: _state(con, manifest, unique_id, tests.get(unique_id, []))
            for key, unique_id in seeds.items()
        }
        present = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
    latest = context.instance.get_latest_materialization_events(list(seeds))
    storage = context.instance.event_log_storage
    for key, unique_id in seeds.items():
        node = manifest["nodes"][unique_id]
        built = latest.get(key)
        recorded = built and built.asset_materialization.metadata.get(SEED_STATE)
        if (
            recorded
            and recorded.value == result.states[key]
            and (node["schema"], node["alias"]) in present
            and all(_last_passed(storage, check, context.run_id) for check in checks[key])
        ):
            result.kept[key] = built.dagster_event.partition or "an earlier run"
            result.checks[key] = checks[key]
            result.outputs[key] = context.assets_def.get_output_name_for_asset_key(key)
    return result


def _tests_by_seed(manifest: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    tests: dict[str, list] = {}
    for node in manifest["nodes"].values():
        attached = node.get("attached_node") or ""
        if node["resource_type"] == "test" and attached.startswith("seed."):
            tests.setdefault(attached, []).append(node)
    return tests


def _state(con, manifest: Mapping[str, Any], unique_id: str, tests: list) -> str:
    """A digest of what a load and the tests of the seed depend on."""
    node = manifest["nodes"][unique_id]
    sources = sorted(
        {d for test in tests for d in test["depends_on"]["nodes"] if d.startswith("source.")}
    )
    state = {
        "checksum": node["checksum"],
        "config": node["config"],
        "tests": sorted(
            json.dumps(
                [t["unique_id"], t["checksum"], t.get("test_metadata"), t["config"]],
                sort_keys=True,
                default=str,
            )
            for t in tests
        ),
        "sources": {s: _content_digest(con, manifest["sources"][s]) for s in sources},
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _content_digest(con, source: Mapping[str, Any]) -> str:
    """Row count and an order-free hash of every row of a (small) source table."""
    table = f'"{source["schema"]}"."{source["identifier"]}"'
    rows, digest = con.execute(f"select count(*), sum(hash(t)) from {table} as t").fetchone()
    return f"{rows}:{digest}"


def _last_passed(storage, check: dg.AssetCheckKey, run_id: str) -> bool:
    """Whether the check's latest result before this run (which has planned it) passed."""
    for record in storage.get_asset_check_execution_history(check, limit=3):
        if record.run_id == run_id:
            continue
        if record.status != AssetCheckExecutionRecordStatus.SUCCEEDED or record.event is None:
            return False
        return bool(getattr(record.event.dagster_event.event_specific_data, "passed", False))
    return False
