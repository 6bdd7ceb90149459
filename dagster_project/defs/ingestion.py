"""One asset per landing source: files in `landing/<source>/` to `raw.<source>`.

The keys (`raw/<source>`) are the dbt sources' keys, so the UI shows one connected graph.
"""

import dagster as dg

from .. import settings
from ..lib.canonical import SOURCES
from ..lib.erasure import drop_erased
from ..lib.landing_files import sources_listing
from ..lib.loader import SourceLoad, load_source
from ..lib.personal_data import salt
from ..lib.sources import MappingError
from .resources import Warehouse

# Metadata of each load: the listing of the source's files it loaded from.
LISTING_METADATA = "landing_listing"

# The score each optional source feeds: null for every customer while the source is absent.
SCORE_NEEDING = {
    "interactions": "behavioural_score",
    "crm_customers": "fit_score",
    "crm_notes": "crm_signal_score",
    "invoices": "payment_risk_score",
}


def _metadata(result: SourceLoad) -> dict[str, dg.MetadataValue]:
    loaded = [f for f in result.files if f.status in ("loaded", "reloaded")]
    rows = [
        f"| {f.path} | {f.status} | {f.rows_read} | {f.rows_loaded} | {f.rows_quarantined} "
        f"| {f.rows_duplicate} | {f.rows_filtered} | {f.rows_replaced} |"
        for f in result.files
    ]
    table = "\n".join(
        [
            "| file | status | read | loaded | quarantined | duplicates | filtered | replaced |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    return {
        "source_absent": dg.MetadataValue.bool(result.absent),
        "null_scores": dg.MetadataValue.text(
            SCORE_NEEDING.get(result.source, "none") if result.absent else "none"
        ),
        "files_seen": dg.MetadataValue.int(len(result.files)),
        "files_loaded": dg.MetadataValue.int(len(loaded)),
        "files_removed": dg.MetadataValue.text(", ".join(result.removed_files) or "none"),
        "rows_read": dg.MetadataValue.int(result.total("rows_read")),
        "rows_loaded": dg.MetadataValue.int(result.total("rows_loaded")),
        "rows_quarantined": dg.MetadataValue.int(result.total("rows_quarantined")),
        "rows_duplicate": dg.MetadataValue.int(result.total("rows_duplicate")),
        "rows_filtered": dg.MetadataValue.int(result.total("rows_filtered")),
        "rows_balanced": dg.MetadataValue.bool(all(f.balanced for f in result.files)),
        "dagster/row_count": dg.MetadataValue.int(result.table_rows),
        "files": dg.MetadataValue.md(table),
    }


def _raw_asset(name: str) -> dg.AssetsDefinition:
    source = SOURCES[name]

    @dg.asset(
        key=dg.AssetKey(["raw", name]),
        group_name="ingestion",
        kinds={"duckdb"},  # files may be CSV, Parquet or JSON lines, per sources.yml
        pool=settings.WRITER_POOL,
        owners=["team:data-engineering"],
        description=(
            f"{source.description} Loaded from the files the source mapping declares "
            f"({'required' if not source.optional else 'optional'}); rejected rows go to "
            "raw.quarantine and every file's counts to raw.load_manifest."
        ),
    )
    def _load(context: dg.AssetExecutionContext, warehouse: Warehouse):
        try:
            config = warehouse.settings.mapping().get(name)
            # The files as listed before loading: the hourly schedule compares it with what
            # is there now to tell whether a new load would change anything.
            listing = sources_listing([config] if config else [], warehouse.layout.root)
            with warehouse.connect() as con:
                result = load_source(con, config, warehouse.layout.root, name)
                # People erased with `forget` stay out even if an old file brings them back.
                erased = drop_erased(con, name, salt(warehouse.layout.root))
                if erased:  # the table's row count after them
                    count = con.execute(f"select count(*) from raw.{name}").fetchone()
                    result.table_rows = count[0]
                yield from _bookkeeping_materializations(con, result)
        except MappingError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        if erased:
            context.log.warning(
                f"{erased} row(s) of people erased on request were dropped from '{name}' "
                "(raw.erasure_register); counted in raw.erasure_drops."
            )
        if result.absent:
            context.log.warning(
                f"Source '{name}' has no file: {SCORE_NEEDING.get(name, 'no score')} will be "
                "null and the composite score re-weights over the other components."
            )
        unbalanced = [f.path for f in result.files if not f.balanced]
        if unbalanced:  # a bug, never a data problem: fail loudly
            raise dg.Failure(description=f"Row counts do not add up for {', '.join(unbalanced)}")
        metadata = {
            **_metadata(result),
            "rows_erased": dg.MetadataValue.int(erased),
            LISTING_METADATA: dg.MetadataValue.text(listing or "none"),
        }
        yield dg.MaterializeResult(metadata=metadata)

    return _load


def _bookkeeping_materializations(con, result: SourceLoad):
    """raw.load_manifest and raw.quarantine are written by every load: each load reports them
    as materialised, with this source's share, so the UI shows who filled them and when."""
    for table, added in (
        ("load_manifest", sum(f.status in ("loaded", "reloaded") for f in result.files)),
        ("quarantine", result.total("rows_quarantined")),
    ):
        total, of_source = con.execute(
            f"select count(*), count(*) filter (where source = ?) from raw.{table}",
            [result.source],
        ).fetchone()
        yield dg.AssetMaterialization(
            asset_key=dg.AssetKey(["raw", table]),
            description=f"Written by the load of source '{result.source}'.",
            metadata={
                "source": dg.MetadataValue.text(result.source),
                "rows_added_by_this_load": dg.MetadataValue.int(added),
                "rows_of_this_source": dg.MetadataValue.int(of_source),
                "dagster/row_count": dg.MetadataValue.int(total),
            },
        )


raw_assets = [_raw_asset(name) for name in SOURCES]

# Written by every ingestion asset, which reports them materialised with its own counts;
# declared so the graph shows where the quality models read from.
load_bookkeeping = [
    dg.AssetSpec(
        key=dg.AssetKey(["raw", table]),
        group_name="ingestion",
        kinds={"duckdb"},
        owners=["team:data-engineering"],
        description=description,
    )
    for table, description in {
        "load_manifest": "One row per landed file: content hash, status and row counts.",
        "quarantine": "Rejected rows with source, file, line number, raw text and reason.",
        "accepted_values": "The fixed lists (status, channel, event_type) the loader accepted.",
    }.items()
]

defs = dg.Definitions(assets=[*raw_assets, *load_bookkeeping])
