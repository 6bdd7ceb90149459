"""Replay: recompute a past scoring date in a scratch data directory and compare with what
was published for it.

Scores are a function of the landing files and the scoring date, so a replay over
unchanged files gives the published scores back, row for row. When a replay differs, the
load manifests say which landing files were loaded (added or changed) after that date was
published, or differ now from what the warehouse loaded: the likely reasons. The real
warehouse and published file are only read; everything the replay builds stays in the
scratch directory (kept with `--keep`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import settings
from .lib.warehouse import connect
from .lib.warehouse import quote_literal as ql

# The published history's columns a replay compares (those published for that date).
KEY = ("scoring_date", "customer_id")


@dataclass
class Comparison:
    scoring_date: date
    columns: list[str]
    same: int = 0
    different: int = 0
    only_published: int = 0
    only_replayed: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.same > 0 and not (self.different or self.only_published or self.only_replayed)


def published_at(published_db: Path, scoring_date: date):
    """When `scoring_date` was last published (None if it never was)."""
    with connect(published_db, read_only=True) as con:
        return con.execute(
            "select max(published_at) from publication_log where scoring_date = ?", [scoring_date]
        ).fetchone()[0]


def changed_files(warehouse: Path, replayed: Path, since) -> list[str]:
    """Landing files loaded after `since` (new or changed), removed since, or whose content
    now differs from what the warehouse loaded, each with what happened."""
    with connect(replayed, read_only=True) as con:
        con.execute(f"attach {ql(str(warehouse))} as wh (read_only)")
        rows = con.execute(
            """
            select
                coalesce(w.source, r.source),
                coalesce(w.file_path, r.file_path),
                case
                    when w.file_path is null then 'not loaded by the warehouse yet'
                    when r.file_path is null or not w.is_present then 'removed since'
                    when w.file_hash <> r.file_hash then 'changed since the warehouse loaded it'
                    when w.loaded_at > ? then 'loaded (new or changed) after the publication'
                end
            from wh.raw.load_manifest w
            full outer join raw.load_manifest r
                on w.source = r.source and w.file_path = r.file_path
            order by 1, 2
            """,
            [since],
        ).fetchall()
    return [f"{source}: {path} ({why})" for source, path, why in rows if why]


def _differs(column: str, data_type: str) -> str:
    """SQL true when the published and replayed values differ; floating-point values may
    differ in their last bits (sums in another order) and count as equal within 1e-9."""
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        return (
            f'(p."{column}" is null) <> (r."{column}" is null)'
            f' or abs(p."{column}" - r."{column}") > 1e-9'
        )
    return f'p."{column}" is distinct from r."{column}"'


def compare(published_db: Path, replayed: Path, scoring_date: date) -> Comparison:
    """The replayed customer_segment_history rows of `scoring_date` against the published
    ones, on every column the publication filled for that date."""
    with connect(replayed, read_only=True) as con:
        con.execute(f"attach {ql(str(published_db))} as pub (read_only)")
        published_columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'pub'"
                " and table_name = 'customer_segment_history' order by ordinal_position"
            ).fetchall()
        ]
        replayed_columns = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = 'customer_segment_history'"
                " and table_catalog <> 'pub'"
            ).fetchall()
        )
        filled = con.execute(
            "select "
            + ", ".join(f'count("{c}")' for c in published_columns)
            + " from pub.customer_segment_history where scoring_date = ?",
            [scoring_date],
        ).fetchone()
        columns = [
            c
            for c, n in zip(published_columns, filled, strict=True)
            if c in replayed_columns and c not in KEY and n
        ]
        differs = " or ".join(_differs(c, replayed_columns[c]) for c in columns) or "false"
        select = f"""
            with p as (select * from pub.customer_segment_history where scoring_date = $d),
            r as (select * from marts.customer_segment_history where scoring_date = $d)
            select
                coalesce(p.customer_id, r.customer_id) as customer_id,
                case
                    when r.customer_id is null then 'only_published'
                    when p.customer_id is null then 'only_replayed'
                    when {differs} then 'different'
                    else 'same'
                end as outcome
            from p full outer join r on p.customer_id = r.customer_id
        """
        counts = dict(
            con.execute(
                f"select outcome, count(*) from ({select}) group by outcome", {"d": scoring_date}
            ).fetchall()
        )
        examples = [
            f"{customer}: {outcome}"
            for customer, outcome in con.execute(
                f"select * from ({select}) where outcome <> 'same' order by customer_id limit 5",
                {"d": scoring_date},
            ).fetchall()
        ]
    return Comparison(
        scoring_date,
        columns,
        same=counts.get("same", 0),
        different=counts.get("different", 0),
        only_published=counts.get("only_published", 0),
        only_replayed=counts.get("only_replayed", 0),
        examples=examples,
    )


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def rebuild(layout: settings.DataDir, scratch: settings.DataDir, scoring_date: date) -> bool:
    """Every asset materialised for `scoring_date` in `scratch`, reading `layout`'s landing
    files, with a throwaway Dagster instance. True when it succeeded."""
    import dagster as dg

    scratch.root.mkdir(parents=True, exist_ok=True)
    # The same files under the same relative paths (the load manifest names files by their
    # path in the data directory): hard links where possible, copies otherwise.
    shutil.copytree(layout.landing, scratch.landing, copy_function=_link_or_copy)
    from .definitions import defs
    from .defs.resources import ScoringSettings, build_resources

    # The same configuration (sources, dbt target), the scratch directory as data directory.
    resources = build_resources(ScoringSettings.from_environment(scratch.root))
    log_path = scratch.root / "logs" / f"replay-{scoring_date.isoformat()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_path.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        dg.DagsterInstance.ephemeral() as instance,
    ):
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            partition_key=scoring_date.isoformat(),
            instance=instance,
            raise_on_error=False,
            resources=resources,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    return result.success


def replay(layout: settings.DataDir, scoring_date: date, keep: bool = False) -> int:
    """The `replay` command: rebuild, compare, explain. 0 when identical, 1 otherwise."""
    if not layout.published_db.exists():
        print(f"Nothing published yet in {layout.published}: run a scoring date first.")
        return 1
    when = published_at(layout.published_db, scoring_date)
    if when is None:
        print(f"{scoring_date} was never published: nothing to compare a replay with.")
        return 1
    # Inside the data directory: same file system, so landing files are hard-linked.
    (layout.root / "replay").mkdir(exist_ok=True)
    scratch = settings.DataDir(
        Path(tempfile.mkdtemp(prefix=f"{scoring_date}-", dir=layout.root / "replay"))
    )
    try:
        print(f"Replaying {scoring_date} (published {when:%Y-%m-%d %H:%M}) in {scratch.root}")
        if not rebuild(layout, scratch, scoring_date):
            print(f"The replay run failed: see {scratch.root / 'logs'}.")
            keep = True
            return 1
        result = compare(layout.published_db, scratch.warehouse, scoring_date)
        changed = changed_files(layout.warehouse, scratch.warehouse, when)
        print(
            f"Compared {len(result.columns)} columns of customer_segment_history: "
            f"{result.same} rows identical, {result.different} different, "
            f"{result.only_published} only published, {result.only_replayed} only replayed."
        )
        for example in result.examples:
            print(f"  e.g. {example}")
        if changed:
            print("Landing files that changed since that publication:")
            for line in changed:
                print(f"  - {line}")
        elif not result.identical:
            print("No landing file changed since that publication (per the load manifest).")
        print("Same scores as published." if result.identical else "Scores differ.")
        return 0 if result.identical else 1
    finally:
        if keep:
            print(f"Replay kept in {scratch.root}")
        else:
            shutil.rmtree(scratch.root, ignore_errors=True)
