"""The optional invoices source: loaded like every source, with its own quarantine reasons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from test_ingestion import load, mapping, rows, write

INVOICES_MAPPING = """
sources:
  transactions:
    inputs:
      - path: landing/transactions/*
  invoices:
    inputs:
      - path: landing/invoices/*.csv
"""
HEADER = (
    "invoice_id,customer_ref,order_id,issue_date,due_date,amount,currency,"
    "paid_amount,paid_date,status\n"
)
INVOICES = (
    HEADER
    + "F1,C1,O1,2026-09-01,2026-10-01,100.00,EUR,100.00,2026-10-01,paid\n"  # 2 good
    + "F2,C1,,2026-09-10,2026-09-01,50.00,EUR,,,open\n"  # 3 due before issue
    + "F3,C2,O3,2026-09-05,2026-10-05,80.00,EUR,95.00,2026-10-02,paid\n"  # 4 overpaid
    + "F4,C2,O4,2026-09-05,2026-10-05,80.00,EUR,,,lost\n"  # 5 unknown status
    + "F5,c2 ,,2026-09-20,2026-10-20,40.00,EUR,10.00,2026-10-25,partially_paid\n"  # 6 good
    + "F6,C3,,2026-09-20,2026-09-10,40.00,EUR,60.00,,open\n"  # 7 two reasons
    + "F1,C1,O1,2026-09-01,2026-10-01,100.00,EUR,100.00,2026-10-01,paid\n"  # 8 duplicate
)


def test_invoice_faults_are_quarantined_with_their_reasons(tmp_path: Path) -> None:
    write(tmp_path / "landing/invoices/invoices.csv", INVOICES)
    result = load(tmp_path, mapping(tmp_path, INVOICES_MAPPING), "invoices")
    (file,) = result.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined, file.rows_duplicate) == (
        7,
        2,
        4,
        1,
    )
    assert file.balanced
    assert rows(
        tmp_path,
        "select invoice_id, customer_ref, paid_amount, paid_date, status, _line_number"
        " from raw.invoices order by 1",
    ) == [
        ("F1", "C1", 100, date(2026, 10, 1), "paid", 8),
        ("F5", "c2", 10, date(2026, 10, 25), "partially_paid", 6),
    ]
    assert rows(
        tmp_path,
        "select line_number, reason from raw.quarantine where source = 'invoices' order by 1",
    ) == [
        (3, "due_date before issue_date"),
        (4, "paid_amount above amount"),
        (5, "unknown status 'lost'"),
        (7, "due_date before issue_date; paid_amount above amount"),
    ]


def test_absent_invoices_is_an_empty_table(tmp_path: Path) -> None:
    result = load(tmp_path, mapping(tmp_path, INVOICES_MAPPING), "invoices")
    assert result.absent
    assert rows(tmp_path, "select count(*) from raw.invoices") == [(0,)]
