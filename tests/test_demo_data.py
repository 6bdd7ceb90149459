"""The demo-data generator: deterministic, well-formed, realistic, and dirty on request."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from dagster_project.demo import (
    ACQUISITION_CHANNELS,
    CAMPAIGN_CHANNELS,
    COLUMNS,
    EVENT_CHANNELS,
    FAULT_KINDS,
    ORDER_CHANNELS,
    SOURCES,
    generate,
)
from dagster_project.demo.cli import main
from dagster_project.lib.canonical import EVENT_TYPES, INVOICE_STATUSES
from dagster_project.lib.canonical import TRANSACTION_STATUSES as ORDER_STATUSES

END = date(2026, 3, 31)
CUSTOMERS = 300
TS_FORMAT = "%Y-%m-%d %H:%M:%S"


def _read(root: Path, source: str) -> list[dict[str, str]]:
    rows = []
    for path in sorted((root / source).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    return root, generate(root, customers=CUSTOMERS, seed=7, end_date=END)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    root = tmp_path_factory.mktemp("dirty")
    return root, generate(root, customers=CUSTOMERS, seed=7, end_date=END, dirty_rate=0.05)


def test_same_seed_same_bytes_other_seed_differs(clean, tmp_path):
    root, report = clean
    again = generate(tmp_path / "again", customers=CUSTOMERS, seed=7, end_date=END)
    assert again.as_dict() == report.as_dict()
    assert _all_files(tmp_path / "again") == _all_files(root)
    other = generate(tmp_path / "other", customers=CUSTOMERS, seed=8, end_date=END)
    assert _all_files(tmp_path / "other") != _all_files(root)
    assert other.rows != report.rows


def test_sources_files_headers_and_counts(clean):
    root, report = clean
    assert set(report.rows) == set(SOURCES)
    for source in SOURCES:
        assert report.files[source], source
        total = 0
        for relative in report.files[source]:
            path = root / relative
            assert path.parent.name == source
            text = path.read_bytes().decode("utf-8")
            assert "\r" not in text
            lines = list(csv.reader(io.StringIO(text)))
            assert tuple(lines[0]) == COLUMNS[source]
            assert all(len(line) == len(COLUMNS[source]) for line in lines)
            total += len(lines) - 1
        assert total == report.rows[source] == report.clean_rows[source], source
        assert report.faults[source] == {}
    months = [Path(p).name for p in report.files["transactions"]]
    assert months[0] == "transactions_2024-04.csv" and months[-1] == "transactions_2026-03.csv"
    assert len(months) == 24


def test_nothing_dated_after_end_date(clean):
    root, _ = clean
    limit = datetime(END.year, END.month, END.day, 23, 59, 59)
    stamped = {
        "transactions": ["order_ts"],
        "interactions": ["event_ts"],
        "crm_notes": ["note_ts"],
        "crm_customers": ["signup_ts"],
        "campaign_contacts": ["contact_ts", "response_ts"],
    }
    for source, columns in stamped.items():
        for row in _read(root, source):
            for column in columns:
                if row[column] or column != "response_ts":
                    assert datetime.strptime(row[column], TS_FORMAT) <= limit, (source, row)
    first = datetime(2024, 4, 1)
    for row in _read(root, "transactions") + _read(root, "interactions"):
        assert datetime.strptime(row.get("order_ts") or row["event_ts"], TS_FORMAT) >= first
    for row in _read(root, "campaigns"):
        start, end = date.fromisoformat(row["start_date"]), date.fromisoformat(row["end_date"])
        assert start <= end <= END


def test_clean_values_are_valid(clean):
    root, _ = clean
    transactions = _read(root, "transactions")
    for row in transactions:
        assert row["channel"] in ORDER_CHANNELS and row["status"] in ORDER_STATUSES
        assert row["currency"] == "EUR" and row["order_id"].startswith("O")
        quantity, price = int(row["quantity"]), Decimal(row["unit_price"])
        discount = Decimal(row["discount"])
        assert quantity > 0 and price >= 5 and 0 <= discount < quantity * price
        assert re.fullmatch(r"\d+\.\d\d", row["unit_price"])
        assert re.fullmatch(r"\d+\.\d\d", row["discount"])
    for row in _read(root, "interactions"):
        assert row["event_type"] in EVENT_TYPES and row["channel"] in EVENT_CHANNELS
        assert row["url"].startswith("/")
        assert not row["campaign_id"] or row["event_type"] in ("email_open", "email_click")
    for row in _read(root, "crm_customers"):
        assert row["acquisition_channel"] in ACQUISITION_CHANNELS
        assert row["opt_in_email"] in ("true", "false")
        assert row["loyalty_member"] in ("true", "false")
        assert row["email"] == row["email"].strip().lower()
    for row in _read(root, "campaigns"):
        assert row["channel"] in CAMPAIGN_CHANNELS
        assert Decimal(row["cost_per_contact"]) > 0 and Decimal(row["fixed_cost"]) >= 0
    for row in _read(root, "campaign_contacts"):
        assert row["responded"] in ("true", "false")
        assert bool(row["response_ts"]) == (row["responded"] == "true")
        assert not row["order_id"] or row["responded"] == "true"


@pytest.mark.parametrize(
    "source, key",
    [
        ("transactions", ("order_id", "order_line")),
        ("interactions", ("event_id",)),
        ("crm_customers", ("customer_id",)),
        ("crm_notes", ("note_id",)),
        ("campaigns", ("campaign_id",)),
        ("campaign_contacts", ("campaign_id", "customer_ref", "contact_ts")),
    ],
)
def test_keys_are_unique(clean, source, key):
    root, _ = clean
    keys = [tuple(row[column] for column in key) for row in _read(root, source)]
    assert all(all(k) for k in keys)
    assert len(keys) == len(set(keys))


def test_references_and_timelines_hold_together(clean):
    root, _ = clean
    customers = {row["customer_id"]: row for row in _read(root, "crm_customers")}
    by_email = {row["email"]: cid for cid, row in customers.items()}
    orders: dict[str, dict[str, str]] = {}
    for row in _read(root, "transactions"):
        orders.setdefault(row["order_id"], row)
    resolved = Counter()
    for order in orders.values():
        ref = order["customer_ref"]
        cid = ref if ref in customers else by_email.get(ref.strip().lower())
        resolved["id" if ref in customers else "email" if cid else "guest"] += 1
        if cid:
            assert customers[cid]["signup_ts"] < order["order_ts"]
    assert 0.7 < resolved["id"] / len(orders) < 0.9
    assert 0.02 < resolved["guest"] / len(orders) < 0.1
    for contact in _read(root, "campaign_contacts"):
        assert contact["customer_ref"] in customers
        if contact["order_id"]:
            order = orders[contact["order_id"]]
            ref = order["customer_ref"]
            assert contact["customer_ref"] == (
                ref if ref in customers else by_email[ref.strip().lower()]
            )
            assert contact["contact_ts"] < contact["response_ts"] <= order["order_ts"]
    events = _read(root, "interactions")
    anonymous = sum(1 for row in events if not row["customer_ref"])
    assert 0.1 < anonymous / len(events) < 0.2
    assert 30 <= len(events) / CUSTOMERS <= 80


def test_archetypes_give_very_different_order_counts(clean):
    root, _ = clean
    per_ref = Counter()
    seen = set()
    for row in _read(root, "transactions"):
        if row["order_id"] not in seen and row["customer_ref"].startswith("C"):
            seen.add(row["order_id"])
            per_ref[row["customer_ref"]] += 1
    counts = list(per_ref.values())
    assert max(counts) >= 10
    assert sum(1 for n in counts if n == 1) >= 0.1 * len(counts)
    buyers = len(per_ref)
    assert 0.7 * CUSTOMERS < buyers < 0.95 * CUSTOMERS  # about 15% are prospects


def test_notes_carry_signals_and_exercise_quoting(clean):
    root, _ = clean
    notes = _read(root, "crm_notes")
    assert 0.15 * CUSTOMERS <= len(notes) <= 0.25 * CUSTOMERS
    texts = " ".join(row["note_text"].lower() for row in notes)
    assert "é" in texts or "è" in texts
    raw = (root / "crm_notes" / "crm_notes.csv").read_text(encoding="utf-8")
    assert '"' in raw  # commas or quotes inside a note were quoted


# --- Dirty rows ------------------------------------------------------------------------


def _is_timestamp(text: str) -> bool:
    try:
        datetime.strptime(text, TS_FORMAT)
    except ValueError:
        return False
    return True


def _valid(source: str, row: dict[str, str]) -> bool:
    """A row the quality layer would accept (the generator's notion of clean)."""
    if source == "transactions":
        try:
            price = Decimal(row["unit_price"])
        except InvalidOperation:
            return False
        return (
            bool(row["order_id"])
            and _is_timestamp(row["order_ts"])
            and price >= 0
            and row["status"] in ORDER_STATUSES
        )
    if source == "interactions":
        return (
            bool(row["event_id"])
            and _is_timestamp(row["event_ts"])
            and row["event_type"] in EVENT_TYPES
        )
    if source == "invoices":
        try:
            amount, paid = Decimal(row["amount"]), Decimal(row["paid_amount"] or 0)
            issue, due = date.fromisoformat(row["issue_date"]), date.fromisoformat(row["due_date"])
        except (InvalidOperation, ValueError):
            return False
        return (
            bool(row["invoice_id"])
            and due >= issue
            and paid <= amount
            and row["status"] in (INVOICE_STATUSES)
        )
    return (
        bool(row["customer_id"])
        and _is_timestamp(row["signup_ts"])
        and row["opt_in_email"] in ("true", "false")
    )


def _classify(root: Path, source: str) -> tuple[int, int]:
    """(data lines, valid and distinct lines), reading bytes so bad encodings show up."""
    lines = valid = 0
    seen: set[bytes] = set()
    for path in sorted((root / source).glob("*.csv")):
        raw_lines = path.read_bytes().split(b"\n")[1:-1]  # no CSV field spans lines here
        for raw in raw_lines:
            lines += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            row = dict(zip(COLUMNS[source], next(csv.reader([text])), strict=True))
            if _valid(source, row) and raw not in seen:
                valid += 1
            seen.add(raw)
    return lines, valid


def test_dirty_rows_follow_the_faults_relation(dirty):
    """rows == clean_rows + sum(faults): each fault is one non-clean row (an extra
    duplicate copy, or a broken row replacing a clean one)."""
    root, report = dirty
    for kind in FAULT_KINDS["transactions"]:
        assert report.faults["transactions"][kind] >= 1, kind
    for source in SOURCES:
        faults = sum(report.faults[source].values())
        assert report.rows[source] == report.clean_rows[source] + faults, source
        assert (faults > 0) == (source in FAULT_KINDS), source
    for source in FAULT_KINDS:
        lines, valid = _classify(root, source)
        assert lines == report.rows[source], source
        assert valid == report.clean_rows[source], source


def test_dirty_files_keep_csv_structure_and_utf8_elsewhere(dirty):
    root, report = dirty
    bad_lines = 0
    for source in SOURCES:
        for relative in report.files[source]:
            for raw in (root / relative).read_bytes().split(b"\n")[:-1]:
                text = raw.decode("utf-8", errors="replace")
                bad_lines += "\ufffd" in text
                assert len(next(csv.reader([text]))) == len(COLUMNS[source])
    assert bad_lines == sum(report.faults[s].get("bad_encoding", 0) for s in SOURCES)


def test_dirty_rate_does_not_change_the_clean_data(clean, dirty):
    assert dirty[1].clean_rows["crm_notes"] == clean[1].rows["crm_notes"]
    assert dirty[1].files == clean[1].files
    assert (dirty[0] / "campaigns" / "campaigns.csv").read_bytes() == (
        clean[0] / "campaigns" / "campaigns.csv"
    ).read_bytes()


def test_cli_prints_one_line_per_source(tmp_path, capsys):
    report = main(
        [
            "--customers",
            "50",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--end-date",
            "2025-12-31",
            "--days",
            "120",
            "--dirty-rate",
            "0.02",
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(SOURCES)
    for line, source in zip(lines, SOURCES, strict=True):
        counts = dict(re.findall(r"(\w+)=\s*(\d+)", line))
        assert int(counts["rows"]) == report.rows[source]
        assert int(counts["files"]) == len(report.files[source])
    assert (tmp_path / "transactions" / "transactions_2025-12.csv").exists()
    assert not list((tmp_path / "transactions").glob("transactions_2025-08.csv"))


def test_invoices_follow_each_payers_behaviour(clean):
    root, report = clean
    invoices = _read(root, "invoices")
    orders = {row["order_id"] for row in _read(root, "transactions")}
    behaviours = Counter(report.payment_behaviour.values())
    assert set(behaviours) == {"on_time", "late", "drifting", "write_off"}
    assert behaviours["on_time"] > sum(behaviours.values()) / 2
    assert {row["order_id"] for row in invoices} <= orders
    statuses = {row["status"] for row in invoices}
    # A small base may have no write-off payer whose invoice is old enough to be written off.
    assert {"open", "paid", "partially_paid"} <= statuses <= set(INVOICE_STATUSES)
    late_days: dict[str, list[int]] = {kind: [] for kind in behaviours}
    for row in invoices:  # a reference that is an e-mail has no known behaviour here
        kind = report.payment_behaviour.get(row["customer_ref"])
        assert row["due_date"] >= row["issue_date"]
        if row["status"] == "paid" and kind:
            due, paid = date.fromisoformat(row["due_date"]), date.fromisoformat(row["paid_date"])
            late_days[kind].append((paid - due).days)
        if row["status"] == "written_off":
            assert kind == "write_off" or kind is None
    share_late = {k: sum(d > 0 for d in v) / len(v) for k, v in late_days.items() if v}
    assert share_late["on_time"] < 0.15 and share_late["late"] > 0.8
