"""The dbt step keeps the tables an hour of today's events cannot change.

The hourly run reloads interactions and rebuilds what depends on them. Yet every score
reads events dated before the scoring date only, and an hourly export brings today's:
rebuilding 30 tables for them changes nothing but the bill. So, before dbt runs, the step
asks two questions and keeps (does not rebuild) a selected model downstream of
`stg_interactions` when both answers allow it:

1. Can the interactions waiting in raw change a score (`lib/pending_interactions.py`)?
   A late event, a replaced file, or a first file: yes, and everything is rebuilt.
2. Is every such table already what a rebuild would give? Its last materialisation is of
   this scoring date, by the model's current SQL, and came after the last one of each of
   its parents, where a build of `stg_interactions` that kept its dependents (marked with
   `KEPT`) does not count as a change. A run whose dbt step stopped after staging a late
   event thus leaves the scores to be rebuilt by the next one. (A changed dbt var or
   macro is not seen: the next daily run, or any run with another input, applies it.)

All or nothing: kept models and their dbt tests are excluded from the build, and Dagster
skips every step below them (their checks, publication, the report), which would have
nothing new to read; keeping only some would skip publication of the others' changes.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from ..lib.pending_interactions import why_scores_change
from .dbt_project import UNIQUE_ID, read_manifest
from .resources import Warehouse

STAGED_INTERACTIONS = dg.AssetKey(["staging", "stg_interactions"])
# Metadata of a stg_interactions build that kept its dependents: what they still hold.
KEPT = "dependents_kept"
# How many of stg_interactions' latest builds are searched for the last one that changed
# what its dependents read (an hourly run each hour between two daily runs: 24).
STAGING_HISTORY = 100
CODE_VERSION = "dagster/code_version"  # tag of a materialisation: its asset's code version


def models_to_keep(
    context: dg.AssetExecutionContext, warehouse: Warehouse, scoring_date: date
) -> list[dg.AssetKey]:
    """The selected models downstream of stg_interactions, when this build may keep them all
    as they are; empty when the waiting interactions can change a score or any of them is
    not up to date with what it reads."""
    selected = context.selected_asset_keys
    if STAGED_INTERACTIONS not in selected:
        return []
    graph = context.job_def.asset_layer.asset_graph
    below = {STAGED_INTERACTIONS}  # through unselected assets too (the fitted models)
    candidates = []
    for key in graph.toposorted_asset_keys:
        if key not in below and below & graph.get(key).parent_keys:
            below.add(key)
            if key in selected:
                candidates.append(key)
    if not candidates:
        return []
    parents = {parent for key in candidates for parent in graph.get(key).parent_keys}
    if (parents & selected) - below:  # e.g. the daily run's order lines: they change them too
        return []
    with warehouse.connect(read_only=True) as con:
        reason = why_scores_change(con, scoring_date)
    if reason is not None:
        context.log.info(f"Rebuilding what depends on interactions: {reason}.")
        return []
    latest = context.instance.get_latest_materialization_events([*candidates, *parents])
    changed_at = {key: event.timestamp for key, event in latest.items() if event is not None}
    changed_at[STAGED_INTERACTIONS] = _last_staging_change(context.instance)
    specs = context.assets_def.specs_by_key
    for key in candidates:
        built = latest.get(key)
        if (
            built is None
            or built.dagster_event.partition != context.partition_key
            # The model's SQL changed since (dagster-dbt versions each model by its SQL).
            or built.asset_materialization.tags.get(CODE_VERSION) != specs[key].code_version
            or any(
                changed_at.get(parent, 0.0) > built.timestamp
                for parent in graph.get(key).parent_keys
            )
        ):
            context.log.info(
                f"Rebuilding what depends on interactions: {key.to_user_string()} is not "
                f"up to date with what it reads as of {context.partition_key}."
            )
            return []
    return candidates


def _last_staging_change(instance: dg.DagsterInstance) -> float:
    """When stg_interactions last changed what its dependents read: its latest build that
    did not keep them (infinitely late when none is in reach, so that nothing is kept)."""
    records = instance.fetch_materializations(STAGED_INTERACTIONS, limit=STAGING_HISTORY).records
    for record in records:
        if KEPT not in record.asset_materialization.metadata:
            return record.timestamp
    return float("inf")


def excluded_from_build(context: dg.AssetExecutionContext, kept: list[dg.AssetKey]) -> list[str]:
    """dbt's `--exclude` for the kept models: each model, and each test on kept models only."""
    specs = context.assets_def.specs_by_key
    ids = {specs[key].metadata[UNIQUE_ID] for key in kept}
    manifest = read_manifest()
    nodes = manifest["nodes"]
    tests = [
        unique_id
        for unique_id, node in nodes.items()
        if node["resource_type"] == "test"
        and (models := {n for n in node["depends_on"]["nodes"] if n.startswith("model.")})
        and models <= ids
    ]
    return [".".join(nodes[unique_id]["fqn"]) for unique_id in sorted(ids) + tests]
