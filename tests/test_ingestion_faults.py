"""Real exports with a handful of broken lines: each broken line is quarantined once with
its reason, the good lines load, and read = loaded + quarantined + duplicates + filtered."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from test_ingestion import DEMO_HEADER, mapping, rows, write

from dagster_project.lib import loader
from dagster_project.lib.sources import MappingError

LOAD_DATE = date(2026, 11, 1)
GOOD_LINE = "O{n},1,C{n},2026-10-01 10:00:00,web,P1,shoes,1,10.00,0,EUR,completed"
DEMO_MAPPING = """
sources:
  transactions:
    inputs:
      - path: landing/transactions/*
"""


def load(root: Path, sources: dict, name: str = "transactions") -> loader.SourceLoad:
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        return loader.load_source(con, sources.get(name), root, name, load_date=LOAD_DATE)


def export(bad: dict[int, str], lines: int = 20) -> str:
    """A demo-format export of `lines` data lines; line numbers in `bad` (file lines,
    the header being line 1) replaced by the given text."""
    body = [DEMO_HEADER] + [GOOD_LINE.format(n=n) for n in range(2, lines + 2)]
    for number, text in bad.items():
        body[number - 1] = text
    return "\n".join(body) + "\n"


def accounted(result: loader.SourceLoad) -> loader.FileLoad:
    (file,) = result.files
    assert file.balanced
    assert file.rows_read == file.rows_loaded + file.rows_quarantined + file.rows_duplicate + (
        file.rows_filtered
    )
    return file


def quarantine(root: Path) -> list[tuple]:
    return rows(root, "select line_number, reason from raw.quarantine order by line_number")


def loaded_lines(root: Path) -> list[int]:
    return [r[0] for r in rows(root, "select _line_number from raw.transactions order by 1")]


def test_one_undefined_cp1252_byte_quarantines_its_line_only(tmp_path: Path) -> None:
    header = "Date;Heure;Ticket;Client;Article;Qté;Prix unitaire\r\n"
    lines = [
        f"03/10/2026;10:{n % 60:02d};T{n:04d};C{n:06d};P0001;1;49,90\r\n".encode("cp1252")
        for n in range(1, 1701)
    ]
    lines[93] = b"03/10/2026;10:15;T0094;C000094;P\x81001;1;49,90\r\n"  # file line 95
    write(tmp_path / "landing/till/ventes.csv", header.encode("cp1252") + b"".join(lines))
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs:
              - path: landing/till/*.csv
                csv: {delimiter: ";", decimal: ",", encoding: cp1252}
                timestamp_format: "%d/%m/%Y %H:%M"
                columns: {order_id: Ticket, customer_ref: Client, product_id: Article,
                          order_ts: "\\"Date\\" || ' ' || \\"Heure\\"", quantity: Qté,
                          unit_price: Prix unitaire}
        """,
    )
    file = accounted(load(tmp_path, sources))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (1700, 1699, 1)
    assert rows(tmp_path, "select line_number, raw_text, reason from raw.quarantine") == [
        (
            95,
            "03/10/2026;10:15;T0094;C000094;P\\x81001;1;49,90",
            "bad encoding: bytes that are not valid in the declared encoding",
        )
    ]
    assert 95 not in loaded_lines(tmp_path) and len(loaded_lines(tmp_path)) == 1699
    assert rows(tmp_path, "select _line_number from raw.transactions where order_id = 'T0095'") == [
        (96,)
    ]


def test_an_unterminated_quote_costs_its_own_line_only(tmp_path: Path) -> None:
    bad = 'O5,1,C5,2026-10-01 10:00:00,web,P1,"shoes,1,10.00,0,EUR,completed'
    quoted = 'O10,1,C10,2026-10-01 10:00:00,web,P1,"shoes, ""red""",1,10.00,0,EUR,completed'
    write(tmp_path / "landing/transactions/t.csv", export({6: bad, 10: quoted}))
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (20, 19, 1)
    assert quarantine(tmp_path) == [(6, "unterminated quote")]
    assert loaded_lines(tmp_path) == [n for n in range(2, 22) if n != 6]
    assert rows(tmp_path, "select category from raw.transactions where order_id = 'O10'") == [
        ('shoes, "red"',)
    ]


def test_a_quoted_field_spanning_lines_is_one_record_with_its_first_line(tmp_path: Path) -> None:
    multi = 'O4,1,C4,2026-10-01 10:00:00,web,P1,"two\nlines",1,10.00,0,EUR,completed'
    body = export({4: multi, 8: "O8,1,C8,2026-10-01 10:00:00,web"}, lines=10)
    write(tmp_path / "landing/transactions/t.csv", body)
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (10, 9, 1)
    assert quarantine(tmp_path) == [(9, "wrong number of columns (too few)")]  # line 9 now
    assert rows(tmp_path, "select category from raw.transactions where order_id = 'O4'") == [
        ("two\nlines",)
    ]
    assert loaded_lines(tmp_path) == [2, 3, 4, 6, 7, 8, 10, 11, 12]


def test_too_many_and_too_few_columns(tmp_path: Path) -> None:
    too_many = GOOD_LINE.format(n=3) + ",extra"
    too_few = "O7,1,C7,2026-10-01 10:00:00"
    write(tmp_path / "landing/transactions/t.csv", export({3: too_many, 7: too_few}))
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (20, 18, 2)
    assert quarantine(tmp_path) == [
        (3, "wrong number of columns (too many)"),
        (7, "wrong number of columns (too few)"),
    ]
    assert rows(tmp_path, "select raw_text from raw.quarantine where line_number = 7") == [
        (too_few,)
    ]


def test_a_file_no_line_of_which_parses_stops_with_a_mapping_message(tmp_path: Path) -> None:
    body = DEMO_HEADER + "\n" + "O1,1,C1\n" * 5
    write(tmp_path / "landing/transactions/t.csv", body)
    with pytest.raises(MappingError) as error:
        load(tmp_path, mapping(tmp_path, DEMO_MAPPING))
    assert str(error.value).startswith(
        "landing/transactions/t.csv: none of its 5 lines reads as 12 columns with delimiter ','"
    )
    assert "in sources.yml" in str(error.value)


def test_a_nul_in_a_key_is_quarantined(tmp_path: Path) -> None:
    bad = GOOD_LINE.format(n=4).replace("O4,", "O\x004,").replace("P1", "P\x001")
    write(tmp_path / "landing/transactions/t.csv", export({4: bad}))
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (20, 19, 1)
    assert quarantine(tmp_path) == [
        (4, "control character in order_id 'O\\x004'; control character in product_id 'P\\x001'")
    ]


def test_implausible_dates_are_quarantined_not_the_scoring_date(tmp_path: Path) -> None:
    year_zero = GOOD_LINE.format(n=3).replace("2026-10-01", "0000-06-15")
    after_bound = GOOD_LINE.format(n=5).replace("2026-10-01 10:00:00", "2026-11-03 00:00:00")
    last_day = GOOD_LINE.format(n=6).replace("2026-10-01 10:00:00", "2026-11-02 23:59:59")
    write(
        tmp_path / "landing/transactions/t.csv",
        export({3: year_zero, 5: after_bound, 6: last_day}),
    )
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (20, 18, 2)
    assert quarantine(tmp_path) == [
        (3, "implausible order_ts '0000-06-15 10:00:00' (before 1900-01-01)"),
        (5, "implausible order_ts '2026-11-03 00:00:00' (after 2026-11-02)"),
    ]
    assert rows(tmp_path, "select order_ts from raw.transactions where order_id = 'O6'") == [
        (datetime(2026, 11, 2, 23, 59, 59),)
    ]


def test_the_plausible_window_is_configurable(tmp_path: Path) -> None:
    old = GOOD_LINE.format(n=3).replace("2026-10-01", "1850-06-15")
    ahead = GOOD_LINE.format(n=4).replace("2026-10-01", "2026-11-20")
    write(tmp_path / "landing/transactions/t.csv", export({3: old, 4: ahead}))
    sources = mapping(
        tmp_path,
        "plausible_dates: {earliest: 1800-01-01, days_after_load: 30}\n" + DEMO_MAPPING,
    )
    file = accounted(load(tmp_path, sources))
    assert (file.rows_loaded, file.rows_quarantined) == (20, 0)


def test_values_in_an_undeclared_format_are_quarantined(tmp_path: Path) -> None:
    body = (
        "Ticket,Client,Date,Montant\n"
        "T1,C1,01/10/2026 10:00,10.00\n"
        "T2,C2,2026-10-01T10:00:00,10.00\n"  # ISO, but the mapping declares day first
        "T3,C3,02/10/2026,10.00\n"  # the second declared format
        "T4,C4,10/01/2026 10:00:00,10.00\n"  # seconds: no declared format has them
    )
    write(tmp_path / "landing/shop/orders.csv", body)
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs:
              - path: landing/shop/*.csv
                timestamp_format: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
                columns: {order_id: Ticket, customer_ref: Client, order_ts: Date,
                          line_amount: Montant}
        """,
    )
    file = accounted(load(tmp_path, sources))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (4, 2, 2)
    assert quarantine(tmp_path) == [
        (3, "unparsable order_ts '2026-10-01T10:00:00'"),
        (5, "unparsable order_ts '10/01/2026 10:00:00'"),
    ]
    assert rows(tmp_path, "select order_id, order_ts from raw.transactions order by 1") == [
        ("T1", datetime(2026, 10, 1, 10, 0)),
        ("T3", datetime(2026, 10, 2, 0, 0)),
    ]


def test_a_date_only_order_column_with_date_format_is_midnight_local(tmp_path: Path) -> None:
    # CDNOW-like: customer, date only, quantity, amount; no order number.
    body = (
        "customer,date,qty,amount\n"
        "1,01/01/1997,1,11.77\n"
        "2,12/01/1997,5,77.00\n"
        "3,1997-01-02,1,5.00\n"
    )
    write(tmp_path / "landing/cdnow/orders.csv", body)
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs:
              - path: landing/cdnow/*.csv
                date_format: "%d/%m/%Y"
                timezone: Europe/Paris
                columns: {customer_ref: customer, order_ts: date, quantity: qty,
                          line_amount: amount}
        """,
    )
    file = accounted(load(tmp_path, sources))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (3, 2, 1)
    assert rows(tmp_path, "select customer_ref, order_ts from raw.transactions order by 1") == [
        ("1", datetime(1996, 12, 31, 23, 0)),  # midnight in Paris, stored in UTC
        ("2", datetime(1997, 1, 11, 23, 0)),
    ]
    assert quarantine(tmp_path) == [(4, "unparsable order_ts '1997-01-02'")]


def test_a_bad_byte_in_json_lines_costs_its_own_line_only(tmp_path: Path) -> None:
    lines = [
        b'{"id": "e1", "ts": "2026-10-01 09:00:00", "type": "blog_view"}',
        b'{"id": "e2", "ts": "2026-10-01 09:01:00", "type": "blog_view", "url": "/caf\xe9"}',
        b"",
        b'{"id": "e4", "ts": "2026-10-01 09:03:00", "type": "cart_add"}',
        b"{not json",
    ]
    write(tmp_path / "landing/events/e.jsonl", b"\n".join(lines) + b"\n")
    sources = mapping(
        tmp_path,
        """
        sources:
          transactions:
            inputs: [{path: landing/none/*.csv}]
          interactions:
            inputs:
              - path: landing/events/*.jsonl
                columns: {event_id: id, event_ts: ts, event_type: type}
        """,
    )
    file = accounted(load(tmp_path, sources, "interactions"))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (4, 2, 2)
    quarantined = "select line_number, raw_text, reason from raw.quarantine order by 1"
    assert rows(tmp_path, quarantined) == [
        (
            2,
            '{"id": "e2", "ts": "2026-10-01 09:01:00", "type": "blog_view", "url": "/caf\\xe9"}',
            "bad encoding: bytes that are not valid in the declared encoding",
        ),
        (5, "{not json", "not valid JSON"),
    ]
    assert rows(tmp_path, "select event_id, _line_number from raw.interactions order by 1") == [
        ("e1", 1),
        ("e4", 4),
    ]


def test_an_excel_utf8_file_with_a_byte_order_mark_and_a_broken_line(tmp_path: Path) -> None:
    body = "\ufeff" + export({4: "O4,1,C4"}, lines=5)
    write(tmp_path / "landing/transactions/excel.csv", body.encode("utf-8"))
    file = accounted(load(tmp_path, mapping(tmp_path, DEMO_MAPPING)))

    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (5, 4, 1)
    assert rows(tmp_path, "select order_id from raw.transactions order by 1") == [
        ("O2",),
        ("O3",),
        ("O5",),
        ("O6",),
    ]
