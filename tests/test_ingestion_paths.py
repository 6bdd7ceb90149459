"""The one-pass load (DuckDB reads a clean file alone) and the line-by-line split (taken
for a file DuckDB rejects a line of) give the same raw rows, quarantine and counts; a
source stays all-or-nothing for readers of `raw` although each file stages on its own;
the memory limit and spill directory come from the settings."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from test_ingestion import DEMO_HEADER, DEMO_MAPPING, mapping, rows, write

from dagster_project.lib import loader
from dagster_project.lib.sources import MappingError

GOOD = "O{n},1,C{n},2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed"
# Well-formed lines whose values are wrong, and a duplicate key: quarantined or counted
# by the typing step, whichever path read the file.
BAD_VALUES = {
    3: "O3,1,C3,2026-13-45 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed",
    5: "O5,1,C5,2026-10-01 10:00:00,web,P1,shoes,-2,10.00,0,EUR,completed",
    7: "O7,1,C7,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,lost",
    9: "O2,1,C2,2026-10-02 11:00:00,web,P1,shoes,1,12.00,0,EUR,completed",
}
# Lines DuckDB's reader rejects or reads across lines.
BAD_LINES = {
    4: 'O4,1,C4,2026-10-01 10:00:00,web,P1,"shoes,1,10.00,0,EUR,completed',
    6: GOOD.format(n=6) + ",extra",
    8: 'O8,1,C8,2026-10-01 10:00:00,web,P1,"two\nlines",1,10.00,0,EUR,completed',
    11: "O11,1,C11,2026-10-01 10:00:00,web",
}
RAW_COLUMNS = "* exclude (_loaded_at)"


def export(replaced: dict[int, str], lines: int = 30) -> str:
    body = [DEMO_HEADER] + [GOOD.format(n=n) for n in range(2, lines + 2)]
    for number, text in replaced.items():
        body[number - 1] = text
    return "\n".join(body) + "\n"


def load_both(tmp_path: Path, name: str, files: dict[str, str], sources_yml: str):
    """The same files loaded into two warehouses, normally and split line by line."""
    outcome = {}
    for split in (False, True):
        root = tmp_path / ("split" if split else "normal")
        for path, text in files.items():
            write(root / path, text)
        sources = mapping(root, sources_yml)
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            result = loader.load_source(
                con, sources[name], root, name, load_date=None, split_every_file=split
            )
        outcome[split] = (root, result)
    return outcome


def snapshot(root: Path, name: str) -> dict[str, list[tuple]]:
    return {
        "raw": rows(root, f"select {RAW_COLUMNS} from raw.{name} order by all"),
        "quarantine": rows(
            root,
            "select source, file_path, line_number, raw_text, reason, file_hash "
            "from raw.quarantine order by all",
        ),
        "manifest": rows(root, "select * exclude (loaded_at) from raw.load_manifest order by all"),
    }


@pytest.mark.parametrize(
    ("replaced", "read_by", "counts", "o2_line"),
    [
        # (read, loaded, quarantined, duplicates); the record on lines 8-9 moves O2 to 10
        (BAD_VALUES, "duckdb", (30, 26, 3, 1), 9),
        ({**BAD_VALUES, **BAD_LINES}, "split", (30, 23, 6, 1), 10),
    ],
    ids=["no-bad-line", "bad-lines"],
)
def test_one_pass_and_split_give_the_same_tables(
    tmp_path: Path, replaced: dict[int, str], read_by: str, counts: tuple, o2_line: int
) -> None:
    files = {"landing/transactions/t.csv": export(replaced)}
    outcome = load_both(tmp_path, "transactions", files, DEMO_MAPPING)
    (normal_root, normal), (split_root, split) = outcome[False], outcome[True]

    assert [f.read_by for f in normal.files] == [read_by]
    assert [f.read_by for f in split.files] == ["split"]
    for result in (normal, split):
        (f,) = result.files
        assert f.balanced
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate) == counts
    normal_tables = snapshot(normal_root, "transactions")
    assert normal_tables == snapshot(split_root, "transactions")
    assert len(normal_tables["raw"]) == counts[1]
    assert len(normal_tables["quarantine"]) == counts[2]
    # The later line of a duplicated key wins, with its own line number.
    assert rows(normal_root, "select _line_number from raw.transactions where order_id = 'O2'") == [
        (o2_line,)
    ]


def test_json_lines_one_pass_and_split_agree(tmp_path: Path) -> None:
    events = [
        {"id": f"m{n}", "contact": f"C{n}", "at": "2026-10-02 08:00:00", "type": "email_open"}
        for n in range(1, 8)
    ]
    events[2]["at"] = "yesterday"
    lines = [json.dumps(e) for e in events]
    lines[4] = "{not json"
    files = {"landing/mail/events.jsonl": "\n".join(lines) + "\n"}
    sources_yml = """
        sources:
          transactions:
            inputs: [{path: landing/none/*.csv}]
          interactions:
            inputs:
              - path: landing/mail/*.jsonl
                columns: {event_id: id, customer_ref: contact, event_ts: at,
                          event_type: type, channel: "'email'"}
        """
    outcome = load_both(tmp_path, "interactions", files, sources_yml)

    assert [f.read_by for f in outcome[False][1].files] == ["duckdb"]
    tables = snapshot(outcome[False][0], "interactions")
    assert tables == snapshot(outcome[True][0], "interactions")
    assert [(q[2], q[4]) for q in tables["quarantine"]] == [
        (3, "unparsable event_ts 'yesterday'"),
        (5, "not valid JSON"),
    ]


def test_a_file_failing_after_another_staged_leaves_raw_as_it_was(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", export({}, lines=5))
    sources = mapping(tmp_path, DEMO_MAPPING)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        loader.load_source(con, sources["transactions"], tmp_path, "transactions")
    before = snapshot(tmp_path, "transactions")
    # b.csv stages first; c.csv has no line of the declared width: the load stops.
    write(tmp_path / "landing/transactions/b.csv", export({}, lines=40).replace("O", "B"))
    write(tmp_path / "landing/transactions/c.csv", DEMO_HEADER + "\na;b\nc;d\n")
    with (
        duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con,
        pytest.raises(MappingError, match="none of its 2 lines reads as 12 columns"),
    ):
        loader.load_source(con, sources["transactions"], tmp_path, "transactions")
    assert snapshot(tmp_path, "transactions") == before
    assert len(before["raw"]) == 5
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (
            0,
        )


def test_memory_limit_and_spill_directory_follow_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "landing/transactions/a.csv", export({}, lines=5))
    sources = mapping(tmp_path, DEMO_MAPPING)
    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "300MiB")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        loader.load_source(con, sources["transactions"], tmp_path, "transactions")
        limit, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert (limit, spill) == ("300.0 MiB", str(tmp_path / "tmp" / "duckdb"))

    monkeypatch.setenv("SCORING_MEMORY_LIMIT", "4 potatoes")
    with (
        duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con,
        pytest.raises(MappingError, match="SCORING_MEMORY_LIMIT=4 potatoes: not a memory size"),
    ):
        loader.load_source(con, sources["transactions"], tmp_path, "transactions")
