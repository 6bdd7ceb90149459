"""raw.load_manifest and raw.quarantine appear in the UI as written by the loads that fill them."""

from __future__ import annotations

import dagster as dg
import duckdb
from conftest import PipelineRun


def test_every_load_reports_the_manifest_and_quarantine_it_wrote(demo_run: PipelineRun) -> None:
    with duckdb.connect(str(demo_run.layout.warehouse), read_only=True) as con:
        manifest_rows = con.execute("select count(*) from raw.load_manifest").fetchone()[0]
        quarantine_rows = con.execute("select count(*) from raw.quarantine").fetchone()[0]
        per_source = dict(
            con.execute("select source, count(*) from raw.load_manifest group by source").fetchall()
        )
    for table, total in (("load_manifest", manifest_rows), ("quarantine", quarantine_rows)):
        records = demo_run.instance.fetch_materializations(
            dg.AssetKey(["raw", table]), limit=20
        ).records
        metadata = [r.asset_materialization.metadata for r in records]
        # One report per source loaded in the run, each naming its source.
        assert sorted(m["source"].value for m in metadata) == sorted(per_source), table
        assert {r.run_id for r in records} == {demo_run.result.run_id}
        # The last load saw the whole table.
        assert metadata[0]["dagster/row_count"].value == total
        if table == "load_manifest":
            for m in metadata:
                assert m["rows_of_this_source"].value == per_source[m["source"].value]
