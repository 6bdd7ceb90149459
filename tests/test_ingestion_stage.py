"""The source's stage: a first load turns the stage into the raw table (no second copy), a
later load inserts into it, and both leave the same tables; a key staged by several files
and already in `raw` counts one replacement per superseded row; a stage left by a killed
load never reaches `raw`; files staged side by side give the tables of files staged one
by one."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SEED
from test_ingestion import DEMO_HEADER, DEMO_MAPPING, load, mapping, rows, write
from test_ingestion_paths import snapshot

from dagster_project.demo import generate
from dagster_project.lib import file_stage, loader
from dagster_project.lib.canonical import SOURCES
from dagster_project.lib.manifest import ensure_schema
from dagster_project.lib.sources import load_mapping
from dagster_project.settings import DEMO_SOURCES_FILE

LINE = "{order},1,C1,2026-10-0{day} 10:00:00,web,P1,shoes,1,{price},0,EUR,completed"


def export(*lines: str) -> str:
    return "\n".join([DEMO_HEADER, *lines]) + "\n"


def stage_tables(root: Path) -> list[tuple]:
    return rows(
        root,
        "select table_name from duckdb_tables() where table_name like '\\_loading\\_%' escape '\\'",
    )


def test_first_load_by_rename_and_later_load_by_insert_give_the_same_tables(
    tmp_path: Path,
) -> None:
    a = export(
        LINE.format(order="O1", day=1, price="10.00"),
        LINE.format(order="O2", day=1, price="bad"),  # quarantined
        LINE.format(order="O1", day=2, price="11.00"),  # duplicate key: this line wins
    )
    b = export(LINE.format(order="O3", day=3, price="12.00"))
    together, apart = tmp_path / "together", tmp_path / "apart"
    # Both files in one first load: the stage becomes raw.transactions.
    write(together / "landing/transactions/a.csv", a)
    write(together / "landing/transactions/b.csv", b)
    load(together, mapping(together, DEMO_MAPPING))
    # One file, then the other: the second load inserts into a raw table with rows.
    write(apart / "landing/transactions/a.csv", a)
    load(apart, mapping(apart, DEMO_MAPPING))
    write(apart / "landing/transactions/b.csv", b)
    result = load(apart, mapping(apart, DEMO_MAPPING))

    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        (0, 0, 0),  # a.csv unchanged
        (1, 1, 0),
    ]
    assert snapshot(together, "transactions") == snapshot(apart, "transactions")
    assert rows(together, "select order_id, unit_price from raw.transactions order by 1") == [
        ("O1", 11),
        ("O3", 12),
    ]
    # The renamed stage has exactly the raw table's columns, as `ensure_schema` makes it.
    describe = "select column_name, column_type from (describe raw.transactions)"
    with duckdb.connect() as con:
        ensure_schema(con)
        contract = con.execute(describe).fetchall()
    for root in (together, apart):
        assert rows(root, describe) == contract
        assert stage_tables(root) == []


def test_a_key_in_history_and_in_three_new_files_is_replaced_once_per_row(
    tmp_path: Path,
) -> None:
    write(tmp_path / "landing/transactions/1.csv", export(LINE.format(order="K", day=1, price="1")))
    load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    for day in (2, 3, 4):
        line = LINE.format(order="K", day=day, price=str(day))
        # 3.csv has the key twice: its first line is a duplicate of its own.
        lines = [line.replace(",web,", ",store,"), line] if day == 3 else [line]
        write(tmp_path / f"landing/transactions/{day}.csv", export(*lines))
    result = load(tmp_path, mapping(tmp_path, DEMO_MAPPING))

    # 2.csv replaces the row of 1.csv in raw; 3.csv the row of 2.csv; 4.csv that of 3.csv.
    counts = [
        (f.path[-5:], f.rows_read, f.rows_loaded, f.rows_duplicate, f.rows_replaced)
        for f in result.files
    ]
    assert counts == [
        ("1.csv", 0, 0, 0, 0),
        ("2.csv", 1, 1, 0, 1),
        ("3.csv", 2, 1, 1, 1),
        ("4.csv", 1, 1, 0, 1),
    ]
    assert all(f.balanced for f in result.files)
    assert rows(tmp_path, "select unit_price, _source_file from raw.transactions") == [
        (4, "landing/transactions/4.csv")
    ]
    manifest = rows(tmp_path, "select sum(rows_loaded), sum(rows_replaced) from raw.load_manifest")
    # Conservation over the loads: 4 rows loaded, 3 of them replaced, 1 left in raw.
    assert manifest == [(4, 3)]


def test_a_stage_left_by_a_killed_load_is_dropped_not_published(tmp_path: Path) -> None:
    write(
        tmp_path / "landing/transactions/a.csv", export(LINE.format(order="O1", day=1, price="1"))
    )
    load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        # What a load killed between two files leaves behind.
        con.execute(
            'create table raw."_loading_transactions" as '
            "select * from raw.transactions, (select 'x' as _reason)"
        )
        con.execute("update raw.transactions set unit_price = 1")
    write(
        tmp_path / "landing/transactions/b.csv", export(LINE.format(order="O2", day=2, price="2"))
    )
    load(tmp_path, mapping(tmp_path, DEMO_MAPPING))

    assert rows(tmp_path, "select order_id from raw.transactions order by 1") == [("O1",), ("O2",)]
    assert stage_tables(tmp_path) == []


def test_files_staged_side_by_side_give_the_tables_of_files_staged_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dirty demo exports (bad lines, bad values, duplicates; several files per source)
    loaded with every file staged alone, then with files side by side: the same rows,
    quarantine and manifest, whichever file's staging ends first."""
    landing = tmp_path / "landing"
    generate(landing, customers=300, seed=SEED, end_date=date(2026, 10, 31), dirty_rate=0.05)
    sources = load_mapping(DEMO_SOURCES_FILE)
    assert len(list((landing / "transactions").iterdir())) > 2
    snapshots = {}
    for parallel in (1, file_stage.MAX_PARALLEL_FILES):
        monkeypatch.setattr(file_stage, "MAX_PARALLEL_FILES", parallel)
        root = tmp_path / f"parallel-{parallel}"
        shutil.copytree(landing, root / "landing")
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            con.execute("set threads = 2")  # two files side by side, even on one core
            for name in SOURCES:
                loader.load_source(con, sources.get(name), root, name, date(2026, 11, 1))
        snapshots[parallel] = {name: snapshot(root, name) for name in SOURCES}
    one_by_one, side_by_side = snapshots.values()
    assert one_by_one == side_by_side
    quarantined = one_by_one["transactions"]["quarantine"]
    assert len(quarantined) > 10 and len({row[1] for row in quarantined}) > 2
