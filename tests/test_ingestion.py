"""Ingestion of real files in each supported variant, with exact counts and values."""

from __future__ import annotations

import gzip
import json
import textwrap
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import loader
from dagster_project.lib.load_report import quarantine_causes
from dagster_project.lib.sources import MappingError, load_mapping

DEMO_HEADER = (
    "order_id,order_line,customer_ref,order_ts,channel,product_id,category,"
    "quantity,unit_price,discount,currency,status"
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def mapping(root: Path, body: str) -> dict:
    return load_mapping(write(root / "sources.yml", textwrap.dedent(body)))


def load(root: Path, sources: dict, name: str = "transactions") -> loader.SourceLoad:
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        return loader.load_source(con, sources.get(name), root, name)


def rows(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


DEMO_MAPPING = """
sources:
  transactions:
    inputs:
      - path: landing/transactions/*
"""


# -- the French till export: semicolons, cp1252, decimal commas, dd/mm/yyyy, no order id --
TILL_EXPORT = (
    "Date;Heure;Ticket;Client;Article;Désignation;Qté;Prix unitaire;Remise\r\n"
    "03/10/2026;10:15;T0001;C000001;P0001;Chaussure été;2;49,90;0,00\r\n"
    "03/10/2026;10:15;T0001;C000001;P0002;Sac à dos 20€;1;25,00;2,50\r\n"
    "04/10/2026;18:40;T0002; Marie.Dupont@Example.fr ;P0001;Chaussure été;-1;49,90;0,00\r\n"
)
TILL_MAPPING = """
sources:
  transactions:
    inputs:
      - path: landing/till/*.csv
        csv: {delimiter: ";", decimal: ",", encoding: cp1252}
        timestamp_format: "%d/%m/%Y %H:%M"
        timezone: Europe/Paris
        columns:
          order_id: Ticket
          order_line: _line_number
          customer_ref: Client
          order_ts: "\\"Date\\" || ' ' || \\"Heure\\""
          channel: "'store'"
          product_id: Article
          category: "'unknown'"
          quantity: "abs(cast(\\"Qté\\" as integer))"
          unit_price: Prix unitaire
          discount: Remise
          status: "case when \\"Qté\\" like '-%' then 'returned' else 'completed' end"
"""


def test_french_till_export_lands_with_utc_times_and_decimal_commas(tmp_path: Path) -> None:
    write(tmp_path / "landing/till/ventes.csv", TILL_EXPORT.encode("cp1252"))
    result = load(tmp_path, mapping(tmp_path, TILL_MAPPING))

    assert (result.total("rows_read"), result.total("rows_loaded")) == (3, 3)
    assert result.total("rows_quarantined") == 0
    loaded = rows(
        tmp_path,
        "select order_id, order_line, customer_ref, order_ts, quantity, unit_price, discount, "
        "status, channel from raw.transactions order by order_line",
    )
    assert loaded == [
        (
            "T0001",
            2,
            "C000001",
            datetime(2026, 10, 3, 8, 15),
            Decimal(2),
            Decimal("49.9"),
            Decimal(0),
            "completed",
            "store",
        ),
        (
            "T0001",
            3,
            "C000001",
            datetime(2026, 10, 3, 8, 15),
            Decimal(1),
            Decimal(25),
            Decimal("2.5"),
            "completed",
            "store",
        ),
        (
            "T0002",
            4,
            "Marie.Dupont@Example.fr",
            datetime(2026, 10, 4, 16, 40),
            Decimal(1),
            Decimal("49.9"),
            Decimal(0),
            "returned",
            "store",
        ),
    ]


def test_wrong_encoding_is_one_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "landing/till/ventes.csv", (TILL_EXPORT * 3).encode("cp1252"))
    body = TILL_MAPPING.replace("encoding: cp1252", "encoding: utf-8")
    with pytest.raises(MappingError) as error:
        load(tmp_path, mapping(tmp_path, body))
    message = str(error.value)
    assert "landing/till/ventes.csv" in message
    assert "not valid utf-8" in message and "encoding: cp1252" in message


def test_a_utf16_file_gets_the_advice_that_reads_it(tmp_path: Path) -> None:
    """Excel's "Unicode text" export is UTF-16: advising cp1252 only led to the next error."""
    write(tmp_path / "landing/transactions/unicode.csv", GOOD.encode("utf-16"))
    with pytest.raises(
        MappingError, match=r"unicode\.csv: .*not valid utf-8\. It looks like UTF-16"
    ):
        load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    utf16 = mapping(tmp_path, DEMO_MAPPING + "        csv: {encoding: utf-16}\n")
    assert [(f.rows_loaded, f.rows_quarantined) for f in load(tmp_path, utf16).files] == [(1, 0)]


def test_an_empty_file_is_named_as_empty(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", GOOD)
    write(tmp_path / "landing/transactions/failed_export.csv", b"")
    with pytest.raises(MappingError) as error:
        load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    assert str(error.value).startswith(
        "landing/transactions/failed_export.csv is empty (0 bytes, not even a header line)"
    )


# -- parquet and JSON lines, with their own column names ------------------------------
def test_parquet_and_jsonl_interactions(tmp_path: Path) -> None:
    (tmp_path / "landing/web").mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            "copy (select * from (values ('w1', 'C000001', timestamp '2026-10-01 09:00:00', "
            "'product_page_view', '/p/1'), ('w2', null, timestamp '2026-10-01 09:05:00', "
            "'blog_view', '/blog/a')) t(hit_id, visitor, hit_time, kind, page)) "
            f"to '{tmp_path / 'landing/web/hits.parquet'}' (format parquet)"
        )
    events = [
        {"id": "m1", "contact": "c000002", "at": "2026-10-02 08:00:00", "type": "email_open"},
        {
            "id": "m2",
            "contact": "C000002",
            "at": "2026-10-02 08:01:00",
            "type": "email_click",
            "campaign": "K001",
        },
    ]
    lines = [json.dumps(e) for e in events] + ["{not json"]
    write(tmp_path / "landing/mail/events.jsonl", "\n".join(lines) + "\n")
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs: [{path: landing/none/*.csv}]
          interactions:
            inputs:
              - path: landing/web/*.parquet
                columns: {event_id: hit_id, customer_ref: visitor, event_ts: hit_time,
                          event_type: kind, url: page, channel: "'web'"}
              - path: landing/mail/*.jsonl
                columns: {event_id: id, customer_ref: contact, event_ts: at,
                          event_type: type, campaign_id: campaign, channel: "'email'"}
        """,
    )
    result = load(tmp_path, sources, "interactions")

    assert [(f.path, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("landing/web/hits.parquet", 2, 2, 0),
        ("landing/mail/events.jsonl", 3, 2, 1),
    ]
    assert rows(
        tmp_path,
        "select event_id, customer_ref, event_type, channel, campaign_id, _line_number "
        "from raw.interactions order by event_id",
    ) == [
        ("m1", "c000002", "email_open", "email", None, 1),
        ("m2", "C000002", "email_click", "email", "K001", 2),
        ("w1", "C000001", "product_page_view", "web", None, 1),
        ("w2", None, "blog_view", "web", None, 2),
    ]
    assert rows(tmp_path, "select line_number, raw_text, reason from raw.quarantine") == [
        (3, "{not json", "not valid JSON")
    ]


# -- a file with line amounts only and no order number ---------------------------------
def test_line_amounts_without_order_numbers_keep_identical_lines(tmp_path: Path) -> None:
    write(
        tmp_path / "landing/shop/export.csv",
        "Customer,Date,Qty,Amount\n"
        "17850,2026-09-01 08:26:00,6,15.30\n"
        "17850,2026-09-01 08:26:00,6,15.30\n"
        "13047,2026-09-02 09:00:00,2,7.00\n",
    )
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs:
              - path: landing/shop/*.csv
                columns: {customer_ref: Customer, order_ts: Date, quantity: Qty,
                          line_amount: Amount}
        """,
    )
    result = load(tmp_path, sources)

    assert (result.total("rows_loaded"), result.total("rows_duplicate")) == (3, 0)
    assert rows(
        tmp_path,
        "select order_id, order_line, quantity, unit_price, line_amount, status, currency "
        "from raw.transactions order by order_line",
    ) == [
        ("export.csv:2", 2, Decimal(6), None, Decimal("15.3"), "completed", "EUR"),
        ("export.csv:3", 3, Decimal(6), None, Decimal("15.3"), "completed", "EUR"),
        ("export.csv:4", 4, Decimal(2), None, Decimal(7), "completed", "EUR"),
    ]


def test_gzip_csv(tmp_path: Path) -> None:
    body = DEMO_HEADER + "\nO1,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed\n"
    write(tmp_path / "landing/transactions/t.csv.gz", gzip.compress(body.encode()))
    result = load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    assert result.total("rows_loaded") == 1
    assert rows(tmp_path, "select order_id, unit_price from raw.transactions") == [
        ("O1", Decimal(10))
    ]


# -- dirty rows: one of each fault ---------------------------------------------------------
DIRTY = (
    DEMO_HEADER + "\n"
    "O1,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed\n"  # 2 good
    "O1,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed\n"  # 3 duplicate line
    "O2,1,C1,31/02/2026,web,P1,shoes,1,10.00,0,EUR,completed\n"  # 4 bad date
    "O3,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,abc,0,EUR,completed\n"  # 5 not a number
    "O4,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,-5.00,0,EUR,completed\n"  # 6 negative
    ",1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed\n"  # 7 missing key
    "O5,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,pending??\n"  # 8 unknown enum
    "O6,1,C1,2026-10-01 10:00:00,web,P1,sh\xe9,1,10.00,0,EUR,completed\n"  # 9 bad encoding
    "O7,1,C1,2026-10-01 10:00:00,web\n"  # 10 too few columns
    "O8,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,,0,EUR,completed\n"  # 11 missing amount
    "O9,1,guest@x.com,2026-10-02 11:00:00,store,P2,home,2,7.50,1,EUR,returned\n"  # 12 good
)


def test_each_fault_lands_in_quarantine_with_its_reason(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/dirty.csv", DIRTY.encode("latin-1"))
    result = load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    (file,) = result.files

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined, file.rows_duplicate) == (
        11,
        2,
        8,
        1,
    )
    assert file.balanced
    assert rows(tmp_path, "select order_id, _line_number from raw.transactions order by 1") == [
        ("O1", 3),
        ("O9", 12),
    ]
    quarantined = rows(
        tmp_path,
        "select line_number, reason from raw.quarantine where file_path = "
        "'landing/transactions/dirty.csv' order by line_number",
    )
    assert quarantined == [
        (4, "unparsable order_ts '31/02/2026'"),
        (5, "unparsable unit_price 'abc'"),
        (6, "negative unit_price"),
        (7, "missing order_id"),
        (8, "unknown status 'pending??'"),
        (9, "bad encoding: bytes that are not valid in the declared encoding"),
        (10, "wrong number of columns (too few)"),
        (11, "missing unit_price and line_amount"),
    ]
    raw_text = rows(tmp_path, "select raw_text from raw.quarantine where line_number = 4")
    assert raw_text == [("O2,1,C1,31/02/2026,web,P1,shoes,1,10.00,0,EUR,completed",)]


# -- reruns, changed files, removed files, latest file wins ---------------------------------
GOOD = DEMO_HEADER + "\nO1,1,C1,2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed\n"


def test_loading_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", GOOD)
    sources = mapping(tmp_path, DEMO_MAPPING)
    first = load(tmp_path, sources)
    before = rows(tmp_path, "select * from raw.transactions")
    second = load(tmp_path, sources)

    assert [f.status for f in first.files] == ["loaded"]
    assert [(f.status, f.rows_loaded) for f in second.files] == [("unchanged", 0)]
    assert rows(tmp_path, "select * from raw.transactions") == before
    copy = write(tmp_path / "landing/transactions/a_copy.csv", GOOD)
    third = load(tmp_path, sources)
    assert [f.status for f in third.files] == ["unchanged", "same_content_as_other"]
    assert copy.exists() and len(rows(tmp_path, "select * from raw.transactions")) == 1


def test_changed_file_replaces_its_rows_and_removed_file_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "landing/transactions/a.csv",
        GOOD + GOOD.splitlines()[1].replace("O1,", "O2,") + "\n",
    )
    write(tmp_path / "landing/transactions/b.csv", GOOD.replace("O1,", "O3,"))
    sources = mapping(tmp_path, DEMO_MAPPING)
    load(tmp_path, sources)
    assert len(rows(tmp_path, "select * from raw.transactions")) == 3

    write(path, GOOD.replace("10.00", "12.00"))  # O2 disappears, O1 changes price
    result = load(tmp_path, sources)
    assert [(f.path, f.status) for f in result.files] == [
        ("landing/transactions/a.csv", "reloaded"),
        ("landing/transactions/b.csv", "unchanged"),
    ]
    assert rows(tmp_path, "select order_id, unit_price from raw.transactions order by 1") == [
        ("O1", Decimal(12)),
        ("O3", Decimal(10)),
    ]

    (tmp_path / "landing/transactions/b.csv").unlink()
    result = load(tmp_path, sources)
    assert result.removed_files == ["landing/transactions/b.csv"]
    assert len(rows(tmp_path, "select * from raw.transactions")) == 2  # rows stay by default

    pruning = mapping(tmp_path, DEMO_MAPPING + "    prune_removed_files: true\n")
    load(tmp_path, pruning)
    assert rows(tmp_path, "select order_id from raw.transactions") == [("O1",)]


def test_a_file_back_in_landing_or_renamed_keeps_its_rows(tmp_path: Path) -> None:
    a = write(tmp_path / "landing/transactions/a.csv", GOOD)
    write(tmp_path / "landing/transactions/b.csv", GOOD.replace("O1,", "O3,"))  # stays
    away = tmp_path / "a.csv.away"
    sources = mapping(tmp_path, DEMO_MAPPING)
    pruning = mapping(tmp_path, DEMO_MAPPING + "    prune_removed_files: true\n")
    load(tmp_path, sources)

    def state() -> tuple[list[tuple], list[tuple]]:
        """a.csv's rows and manifest lines (b.csv's stay as they are)."""
        return (
            rows(
                tmp_path,
                "select order_id, _source_file from raw.transactions where order_id = 'O1'",
            ),
            rows(
                tmp_path,
                "select file_path, is_present from raw.load_manifest"
                " where file_path not like '%b.csv' order by 1",
            ),
        )

    # Away for one load, then back: its rows stayed, and it is present again (the
    # load-quality gate counts only present files).
    a.rename(away)
    load(tmp_path, sources)
    away.rename(a)
    assert [f.status for f in load(tmp_path, sources).files] == ["unchanged"] * 2
    assert state() == (
        [("O1", "landing/transactions/a.csv")],
        [("landing/transactions/a.csv", True)],
    )
    # Under prune_removed_files its rows leave with it, and come back with it (they stayed
    # away: the file counted as unchanged).
    a.rename(away)
    load(tmp_path, pruning)
    assert state()[0] == []
    away.rename(a)
    back = load(tmp_path, pruning).files
    assert [(f.path, f.status, f.rows_loaded) for f in back][0] == (
        str(a.relative_to(tmp_path)),
        "reloaded",
        1,
    )
    assert state() == (
        [("O1", "landing/transactions/a.csv")],
        [("landing/transactions/a.csv", True)],
    )
    # Renamed under prune_removed_files: the rows move to the new name (the new name was
    # skipped as a copy of the old one, whose rows were then pruned: lost).
    a.rename(tmp_path / "landing/transactions/orders.csv")
    result = load(tmp_path, pruning)
    assert [(f.path, f.status, f.rows_loaded) for f in result.files] == [
        ("landing/transactions/b.csv", "unchanged", 0),
        ("landing/transactions/orders.csv", "loaded", 1),
    ]
    assert state() == (
        [("O1", "landing/transactions/orders.csv")],
        [("landing/transactions/a.csv", False), ("landing/transactions/orders.csv", True)],
    )


def test_fixing_the_mapping_loads_the_rows_it_had_quarantined(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/till.csv", GOOD.replace("2026-10-01", "01/10/2026"))
    first = load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    assert [(f.rows_loaded, f.rows_quarantined) for f in first.files] == [(0, 1)]
    fixed = mapping(tmp_path, DEMO_MAPPING + '        timestamp_format: "%d/%m/%Y %H:%M:%S"\n')
    second = load(tmp_path, fixed)
    assert [(f.status, f.rows_loaded, f.rows_quarantined) for f in second.files] == [
        ("reloaded", 1, 0)
    ]
    assert rows(tmp_path, "select order_ts from raw.transactions") == [
        (datetime(2026, 10, 1, 10, 0),)
    ]
    assert rows(tmp_path, "select count(*) from raw.quarantine") == [(0,)]
    assert [f.status for f in load(tmp_path, fixed).files] == ["unchanged"]


def test_a_small_file_wholly_rejected_is_named_though_its_source_is_mostly_clean(
    tmp_path: Path,
) -> None:
    lines = GOOD.splitlines()[1]
    write(
        tmp_path / "landing/transactions/history.csv",
        DEMO_HEADER + "\n" + "\n".join(lines.replace("O1,", f"O{n},") for n in range(100)) + "\n",
    )
    write(tmp_path / "landing/transactions/today.csv", GOOD.replace("2026-10-01", "01/10/2026"))
    load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    warehouse = tmp_path / "warehouse.duckdb"
    (cause,) = quarantine_causes(warehouse, max_share=0.05, max_file_share=0.5)
    assert cause.startswith(
        "1.0% of the transactions rows were quarantined (1 of 101; limits 5% of a source, "
        "50% of a file) in landing/transactions/today.csv (1 of 1); top reasons: "
        "unparsable order_ts (1, e.g. '01/10/2026 10:00:00')."
    ), cause
    assert quarantine_causes(warehouse, max_share=0.05, max_file_share=1.0) == []


def test_latest_file_wins_on_the_natural_key(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/2026-10-01.csv", GOOD)
    write(tmp_path / "landing/transactions/2026-10-02.csv", GOOD.replace("completed", "returned"))
    result = load(tmp_path, mapping(tmp_path, DEMO_MAPPING))

    assert [(f.rows_loaded, f.rows_replaced) for f in result.files] == [(1, 0), (1, 1)]
    assert rows(tmp_path, "select status, _source_file from raw.transactions") == [
        ("returned", "landing/transactions/2026-10-02.csv")
    ]


def test_absent_optional_source_is_empty_not_an_error(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", GOOD)
    sources = mapping(tmp_path, DEMO_MAPPING)
    result = load(tmp_path, sources, "interactions")
    assert result.absent and result.files == []
    assert rows(tmp_path, "select count(*) from raw.interactions") == [(0,)]


def test_missing_transactions_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="No transactions file found at landing/transactions/"):
        load(tmp_path, mapping(tmp_path, DEMO_MAPPING))


# -- mapping errors: one message naming the file, the column and what exists instead -----
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("columns: {prix: unit_price}", "unknown canonical column(s) prix in `columns`"),
        ("format: xlsx", "format 'xlsx' is not one of csv, parquet, jsonl"),
        ("csv: {separator: ';'}", "unknown key(s) separator; expected some of"),
        ("csv: {encoding: klingon}", "unknown encoding 'klingon'"),
    ],
)
def test_mapping_is_validated_before_loading(tmp_path: Path, body: str, expected: str) -> None:
    text = DEMO_MAPPING + f"        {body}\n"
    with pytest.raises(MappingError) as error:
        mapping(tmp_path, text)
    assert expected in str(error.value)
    assert "sources.yml" in str(error.value)


def test_a_source_column_absent_from_the_file_is_named(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", GOOD)
    sources = mapping(tmp_path, DEMO_MAPPING + "        columns: {unit_price: prix_unitaire}\n")
    with pytest.raises(MappingError) as error:
        load(tmp_path, sources)
    message = str(error.value)
    assert message.startswith("landing/transactions/a.csv: mapping `unit_price: prix_unitaire`")
    assert "prix_unitaire" in message and "The file has: order_id, order_line" in message
    assert rows(tmp_path, "select count(*) from raw.transactions") == [(0,)]


def test_a_wrong_delimiter_names_the_missing_required_column(tmp_path: Path) -> None:
    write(tmp_path / "landing/transactions/a.csv", GOOD.replace(",", ";"))
    with pytest.raises(MappingError) as error:
        load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    message = str(error.value)
    assert "no column for required 'customer_ref'" in message
    assert "The file has: order_id;order_line;customer_ref" in message
