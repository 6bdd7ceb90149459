"""Loading landing files into the warehouse's `raw` schema without losing a row.

For every file: read = loaded + quarantined + duplicates + filtered. Malformed rows go
to `raw.quarantine` with file, line, raw text and reason; a load manifest keyed by file
content makes reruns load nothing twice. Each file is typed and checked into the source's
stage table in its own transaction (`file_stage`); the stage then becomes (or is inserted
into) the raw table in one transaction per source, so a crash leaves the raw tables as
they were.

The other jobs live in their own modules: which files and what content
(`landing_files`), reading and decoding a file (`landing_scan`, `reading`), the mapping
as SQL (`mapping_sql`), typing and checking (`typed_rows`, `values`), accounting and the
manifest (`manifest`), memory (`memory`).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from . import accepted_values, file_stage, manifest
from .canonical import SOURCES
from .landing_files import display_path, fingerprint, identity, list_files
from .landing_scan import LandingFile
from .manifest import FileLoad, SourceLoad, ensure_schema
from .mapping_sql import MappedColumns, map_columns
from .memory import bound_memory
from .sources import InputSpec, MappingError, SourceConfig
from .values import DateWindow

__all__ = ["FileLoad", "SourceLoad", "ensure_schema", "list_files", "load_source"]


def load_source(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig | None,
    data_root: Path,
    name: str,
    load_date: date | None = None,
    split_every_file: bool = False,
) -> SourceLoad:
    """Load every new or changed file of one source, atomically for readers of `raw`.

    `load_date` (default today) bounds the plausible dates: a fact dated after it (plus the
    mapping's `days_after_load`) is quarantined. `split_every_file` reads every file line
    by line here, as a file DuckDB rejects a line of is (to compare both paths).
    """
    load_date = load_date or date.today()
    bound_memory(con, data_root)
    ensure_schema(con)
    result = SourceLoad(name)
    files = list_files(config, data_root) if config else []
    if not files and name == "transactions":
        where = ", ".join(i.path for i in config.inputs) if config else "(no input declared)"
        raise MappingError(
            f"No transactions file found at {where} (relative to {data_root}). "
            "Put order exports there, or fix `path` in sources.yml; transactions are required."
        )
    known = manifest.known_files(con, name)
    listed = {display_path(p, data_root) for _, p in files}
    prune = bool(config and config.prune_removed_files)
    # A known file's rows are in raw unless it left landing under prune_removed_files
    # (its rows went with it), and stay there after this load unless it has left now.
    in_raw = {path for path, k in known.items() if k.present or not prune}
    kept = {path for path in in_raw if path in listed or not prune}
    contents_kept = {known[path].digest for path in kept}
    plans: list[tuple[InputSpec, LandingFile, MappedColumns, FileLoad]] = []
    back: list[str] = []  # files back in landing whose rows raw kept
    for spec, path in files:
        display = display_path(path, data_root)
        content = fingerprint(con, path)
        digest = identity(content, spec)
        previous = known.get(display)
        if previous and display in in_raw and previous.digest == digest:
            result.files.append(FileLoad(display, digest, "unchanged"))
            if not previous.present:
                back.append(display)
            continue
        if not previous and digest in contents_kept:
            result.files.append(FileLoad(display, digest, "same_content_as_other"))
            continue
        contents_kept.add(digest)
        status = "reloaded" if previous else "loaded"
        landing = LandingFile(con, spec, path, display, data_root / "tmp", content.lines)
        # The mapping is checked on every file before any row is read.
        mapped = map_columns(con, spec, display, landing.columns, landing.shape())
        load = FileLoad(display, digest, status)
        plans.append((spec, landing, mapped, load))
        result.files.append(load)  # counts are filled in when it loads

    gone = [p for p in known if p not in listed]
    removed = [p for p in gone if known[p].present]  # newly gone since the last load
    source = SOURCES[name]
    stage = file_stage.SourceStage(con, source)
    try:
        stage.stage_files(
            [
                (landing, mapped, _window(spec, load_date), load)
                for spec, landing, mapped, load in plans
            ],
            split=split_every_file,
        )
        con.execute("begin transaction")
        try:
            accepted_values.write(con, name, config)
            history = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for staged in stage.files:
                if staged.load.status == "reloaded":
                    manifest.forget_file(con, name, staged.load.path)
                if history:
                    stage.replace_history(staged)
            if stage.files:
                stage.drop_superseded()
                stage.publish()
            for staged in stage.files:
                manifest.record(con, name, staged.load, stage.loaded_at)
            for display in gone if prune else removed:
                if prune:
                    manifest.forget_file(con, name, display)
                manifest.set_present(con, name, display, present=False)
            for display in back:
                manifest.set_present(con, name, display, present=True)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        stage.drop()
        for _, landing, *_ in plans:
            landing.cleanup()
    result.removed_files = removed
    result.table_rows = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
    return result


def _window(spec: InputSpec, load_date: date) -> DateWindow:
    plausible = spec.plausible_dates
    return DateWindow(plausible.earliest, load_date + timedelta(days=plausible.days_after_load))
