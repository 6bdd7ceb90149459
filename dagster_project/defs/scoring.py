"""The dbt project as Dagster assets: staging, scoring models, seeds, and dbt tests as checks.

One `DbtProject` and one translator; each run builds as of its partition's scoring date.
"""

import json
import re
import warnings
from collections.abc import Mapping
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets

from .. import settings
from ..lib import spark_exchange
from ..lib.canonical import SOURCES
from ..lib.dbt_environment import SCORING_DATE_VARIABLE, dbt_environment
from ..lib.sources import MappingError
from .dbt_project import dbt_project, remove_project_copy
from .kept_scores import KEPT, STAGED_INTERACTIONS, excluded_from_build, models_to_keep
from .kept_seeds import SEED_STATE, SeedsKept, seeds_to_keep
from .partitions import one_date_per_run, scoring_dates
from .quality import GUARDED_ASSETS
from .resources import Warehouse

LOAD_QUALITY = dg.AssetKey(["quality", "load_quality"])


class ScoringTranslator(DagsterDbtTranslator):
    """Groups by dbt folder (staging, quality, everything else scoring); owners come from
    dbt's `meta.dagster.owners` (set per folder in dbt_project.yml), descriptions from dbt."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = {**manifest.get("nodes", {}), **manifest.get("sources", {})}.get(unique_id, {})
        if node.get("resource_type") == "source":
            return spec
        folder = node.get("fqn", ["", ""])[1]
        group = folder if folder in ("staging", "quality", "features") else "scoring"
        spec = spec.replace_attributes(group_name=group)
        if spec.key in GUARDED_ASSETS:  # tables a Great Expectations suite guards
            spec = spec.merge_attributes(kinds={"great_expectations"})
        if spec.key == LOAD_QUALITY:
            # It reads the load manifest and quarantine, which every load writes: after the
            # loads, then, and in the staging models' dbt step, not in an invocation of its own.
            spec = spec.merge_attributes(deps=[dg.AssetKey(["raw", name]) for name in SOURCES])
        return spec

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """A description in words, and the scoring-date partitions of the dbt assets: Dagster
        records a check's result for the run's partition only when its spec is partitioned
        (the UI then shows the date, as for the Great Expectations checks)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return spec
        test = manifest["nodes"][unique_id]
        # A test on a dbt source checks an ingestion asset, which has no partitions.
        on_source = any(
            parent.startswith("source.")
            and self.get_asset_spec(manifest, parent, project).key == asset_spec.key
            for parent in test.get("depends_on", {}).get("nodes", [])
        )
        with warnings.catch_warnings():
            # Partitioned checks are a preview in Dagster 1.13, used knowingly (as quality.py).
            warnings.filterwarnings("ignore", category=dg.PreviewWarning)  # noqa: TID251
            return dg.AssetCheckSpec(
                spec.name,
                asset=spec.asset_key,
                description=spec.description or test_description(test),
                additional_deps=spec.additional_deps,
                blocking=spec.blocking,
                metadata=spec.metadata,
                automation_condition=spec.automation_condition,
                partitions_def=None if on_source else scoring_dates,
            )


def test_description(test: Mapping[str, Any]) -> str:
    """What a dbt test checks, in words: a singular test's leading comment, or the generic
    test and its arguments (`accepted_values on status: completed, returned, cancelled`)."""
    if test.get("description"):
        return test["description"]
    generic = test.get("test_metadata")
    if not generic:
        lines = []
        for line in test.get("raw_code", "").splitlines():
            if line.startswith("{{ config("):
                continue
            if not line.startswith("--"):
                break
            lines.append(line.removeprefix("--").strip())
        return " ".join(lines) or f"dbt test {test['name']}"
    arguments = dict(generic.get("kwargs", {}))
    column = arguments.pop("column_name", None)
    arguments.pop("model", None)
    shown = "; ".join(
        f"{name} {_argument_text(value)}"
        for name, value in arguments.items()
        if "{{" not in str(value)
    )
    text = f"dbt test {generic['name']}" + (f" on {column}" if column else "")
    return f"{text} ({shown})" if shown else text


def _argument_text(value: Any) -> str:
    """A test argument in words: a list joined; value_ranges' columns each with its range
    (`share >= 0 and <= 1, half_life_days > 0`)."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return ", ".join(f"{column} {_range_text(bounds)}" for column, bounds in value.items())
    return str(value)


def _range_text(bounds: Mapping[str, Any]) -> str:
    parts = []
    if bounds.get("min_value") is not None:
        parts.append(f"{'>=' if bounds.get('min_inclusive', True) else '>'} {bounds['min_value']}")
    if bounds.get("max_value") is not None:
        parts.append(f"{'<=' if bounds.get('max_inclusive', True) else '<'} {bounds['max_value']}")
    return " and ".join(parts)


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build (Launchpad: ops > scoring_models > config)."""

    full_refresh: bool = False
    """Rebuild the incremental staging tables from raw (`dbt build --full-refresh`), e.g.
    after a staging model's SQL changed; scored history is kept."""


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ScoringTranslator(),
    partitions_def=scoring_dates,
    backfill_policy=one_date_per_run,
    pool=settings.WRITER_POOL,
)
def scoring_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    config: DbtBuildConfig,
):
    """`dbt build` as of the partition's date: models, seeds and their tests, in order;
    incremental staging models add only the load batch unless `full_refresh` is set, the
    tables new interactions cannot change are kept (kept_scores.py), and so are the seeds
    that did not change (kept_seeds.py)."""
    # The warehouse file reaches profiles.yml as a var; the target is the resource's. Tests
    # run with indirect selection `buildable` (dbt_project.yml's flags: why, there). Unit
    # tests check the models' SQL on fixed rows, not the day's data: `make test` runs them
    # (tests/test_dbt_unit_tests.py), every run of the pipeline would only pay for them again.
    try:
        dbt_vars = warehouse.settings.dbt_vars()
    except MappingError as exc:  # e.g. SCORING_MEMORY_LIMIT is not a size
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    spark = warehouse.settings.dbt_target == "spark"
    if spark:  # the sources reach Spark as Parquet (README, "On Spark")
        spark_exchange.export_sources(
            warehouse.layout.warehouse, warehouse.settings.spark_dir / "sources"
        )
    # On Spark every staging table is rebuilt from the export, and a full refresh rebuilds
    # everything by definition: nothing is kept there.
    keeping = not (spark or config.full_refresh)
    kept = (
        models_to_keep(context, warehouse, date.fromisoformat(context.partition_key))
        if keeping
        else []
    )
    seeds = seeds_to_keep(context, warehouse) if keeping else SeedsKept()
    if seeds.kept:
        context.log.info(
            f"{len(seeds.kept)} seeds kept: unchanged since loaded, and their tests passed."
        )
    yield from seeds.events()
    if not context.selected_asset_keys - {*kept, *seeds.kept}:
        return
    excluded = [*(excluded_from_build(context, kept) if kept else []), *seeds.excluded]
    kept_note = ""
    if kept:
        kept_note = (
            f"{len(kept)} tables kept as of {context.partition_key}: no new interaction is "
            "dated before it, and nothing they read changed since they were built"
        )
        context.log.info(f"{kept_note}: {', '.join(k.to_user_string() for k in kept)}.")
    # The latest run's dbt artifacts (logs, compiled SQL, run_results.json), overwritten
    # by the next run rather than one new folder per run in the project. The scoring date
    # goes in dbt's environment, not --vars, so that dbt keeps parsing partially.
    with dbt_environment(**{SCORING_DATE_VARIABLE: context.partition_key}):
        invocation = dbt.cli(
            [
                "build",
                "--exclude-resource-type",
                "unit_test",
                "--vars",
                json.dumps(dbt_vars),
                *(["--full-refresh"] if config.full_refresh else []),
                *(["--exclude", " ".join(excluded)] if excluded else []),
            ],
            context=context,
            target_path=warehouse.layout.root / "logs" / "dbt",
        )
    # Events are yielded as dbt reports them, so Dagster records them while dbt goes on.
    built = []
    try:
        for event in with_row_counts(invocation):
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                built.append(tuple(key.path))
                if kept_note and key == STAGED_INTERACTIONS:
                    event = event.with_metadata({**event.metadata, KEPT: kept_note})
                if key in seeds.states:
                    event = event.with_metadata({**event.metadata, SEED_STATE: seeds.states[key]})
            yield event
    finally:
        remove_project_copy(invocation)
    if spark:
        # The tables Spark built, copied into the warehouse: checks, fitted models and
        # publication read them there as they read DuckDB's.
        spark_exchange.import_built_tables(
            warehouse.layout.warehouse, warehouse.settings.spark_dir / "warehouse", built
        )


def full_refresh_run_config() -> dict:
    """The run config that makes a job's dbt build a full refresh (the CLI's --full-refresh)."""
    return {"ops": {scoring_models.op.name: {"config": {"full_refresh": True}}}}


# The line dbt logs after building a table (dbt/macros/log_row_count.sql).
ROW_COUNT_LINE = re.compile(r" holds (\d+) rows$")


def with_row_counts(invocation: DbtCliInvocation):
    """The invocation's Dagster events, each table's Output with its `dagster/row_count`:
    the count dbt logged for the node once it had built it (views are not counted)."""
    counts: dict[str, int] = {}
    for message in invocation.stream_raw_events():
        data = message.raw_event.get("data", {})
        unique_id = data.get("node_info", {}).get("unique_id")
        logged = ROW_COUNT_LINE.search(data.get("msg") or "")
        if logged and message.raw_event["info"]["name"] == "JinjaLogInfo":
            counts[unique_id] = int(logged.group(1))
        for event in message.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if isinstance(event, dg.Output) and unique_id in counts:
                event = event.with_metadata(
                    {**event.metadata, "dagster/row_count": counts.pop(unique_id)}
                )
            yield event


defs = dg.Definitions(assets=[scoring_models])
