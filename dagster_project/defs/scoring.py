"""The dbt project as Dagster assets: staging, scoring models, seeds, and dbt tests as checks.

One `DbtProject` and one translator; each run builds as of its partition's scoring date.
"""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from .. import settings
from ..lib.warehouse import quote_ident
from .dbt_project import dbt_project
from .partitions import scoring_dates
from .quality import GUARDED_ASSETS
from .resources import Warehouse


class ScoringTranslator(DagsterDbtTranslator):
    """Groups by dbt folder: staging, quality, and everything else as scoring."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = {**manifest.get("nodes", {}), **manifest.get("sources", {})}.get(unique_id, {})
        if node.get("resource_type") == "source":
            return spec
        folder = node.get("fqn", ["", ""])[1]
        group = folder if folder in ("staging", "quality") else "scoring"
        spec = spec.replace_attributes(group_name=group, owners=["team:marketing-analytics"])
        if spec.key in GUARDED_ASSETS:  # tables a Great Expectations suite guards
            spec = spec.merge_attributes(kinds={"great_expectations"})
        return spec


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ScoringTranslator(),
    partitions_def=scoring_dates,
    # One run per scoring date: dagster-dbt's default for daily partitions is one run for
    # the whole range, but dbt takes a single scoring_date.
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    pool=settings.WRITER_POOL,
)
def scoring_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """`dbt build` as of the partition's date: models, seeds and their tests, in order."""
    # profiles.yml reads the warehouse path from the environment (profiles take no vars).
    os.environ["SCORING_WAREHOUSE_PATH"] = str(warehouse.layout.warehouse)
    # A Python asset between dbt models (a fitted model written as a dbt source) makes
    # Dagster run these assets in several steps of one run. A dbt test then runs in the step
    # where all its parents are built or upstream, never in an earlier step where one of
    # them (e.g. the model a seed's relationship test points at) does not exist yet.
    os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
    dbt_vars = {"scoring_date": context.partition_key}
    # The latest run's dbt artifacts (logs, compiled SQL, run_results.json), overwritten
    # by the next run rather than one new folder per run in the project.
    invocation = dbt.cli(
        ["build", "--vars", json.dumps(dbt_vars)],
        context=context,
        target_path=warehouse.layout.root / "logs" / "dbt",
    )
    # Row counts are read once dbt has released the warehouse (one writer, no readers).
    events = []
    try:
        events.extend(invocation.stream())
    except Exception:
        yield from events
        raise
    yield from with_row_counts(context, events, warehouse)


def with_row_counts(context: dg.AssetExecutionContext, events: list, warehouse: Warehouse):
    """Adds dagster/row_count to every dbt table this run materialised (views are not counted)."""
    built = {
        tuple(context.asset_key_for_output(e.output_name).path)
        for e in events
        if isinstance(e, dg.Output)
    }
    with warehouse.connect(read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = current_database()"
        ).fetchall()
        counts = {
            (schema, table): con.execute(
                f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}"
            ).fetchone()[0]
            for schema, table in tables
            if (schema, table) in built
        }
    for event in events:
        if isinstance(event, dg.Output):
            key = tuple(context.asset_key_for_output(event.output_name).path)
            if key in counts:
                event = event.with_metadata({**event.metadata, "dagster/row_count": counts[key]})
        yield event


defs = dg.Definitions(assets=[scoring_models])
