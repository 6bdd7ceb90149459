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
from .dbt_project import dbt_project
from .partitions import scoring_dates
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
        return spec.replace_attributes(group_name=group, owners=["team:marketing-analytics"])


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ScoringTranslator(),
    partitions_def=scoring_dates,
    pool=settings.WRITER_POOL,
)
def scoring_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """`dbt build` as of the partition's date: models, seeds and their tests, in order."""
    # profiles.yml reads the warehouse path from the environment (profiles take no vars).
    os.environ["SCORING_WAREHOUSE_PATH"] = str(warehouse.layout.warehouse)
    dbt_vars = {"scoring_date": context.partition_key}
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()


defs = dg.Definitions(assets=[scoring_models])
