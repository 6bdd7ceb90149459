"""Known, counted faults injected into the written rows (`dirty_rate > 0`).

They exercise the quality layer: every fault yields exactly one row that is not clean
(`duplicate_line` writes an identical copy after the original, which stays clean; every
other kind replaces one clean row by a broken one), so
`rows == clean_rows + sum(faults)` holds per source and tests can check that the loader
quarantined or dropped exactly what was injected.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from .contract import column_index

FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "duplicate_line",
        "bad_date",
        "negative_amount",
        "missing_amount",
        "missing_key",
        "unknown_enum",
        "bad_encoding",
    ),
    "interactions": ("duplicate_line", "bad_date", "missing_key", "unknown_enum", "bad_encoding"),
    "crm_customers": ("duplicate_line", "bad_date", "missing_key", "unknown_enum", "bad_encoding"),
    "invoices": (
        "duplicate_line",
        "bad_date",
        "missing_key",
        "unknown_enum",
        "due_before_issue",
        "overpaid",
    ),
}
_FAULT_COLUMN = {  # source: fault kind -> the column it damages
    "transactions": {
        "bad_date": "order_ts",
        "negative_amount": "unit_price",
        "missing_amount": "unit_price",
        "missing_key": "order_id",
        "unknown_enum": "status",
        "bad_encoding": "category",
    },
    "interactions": {
        "bad_date": "event_ts",
        "missing_key": "event_id",
        "unknown_enum": "event_type",
        "bad_encoding": "url",
    },
    "crm_customers": {
        "bad_date": "signup_ts",
        "missing_key": "customer_id",
        "unknown_enum": "opt_in_email",
        "bad_encoding": "last_name",
    },
    "invoices": {
        "bad_date": "issue_date",
        "missing_key": "invoice_id",
        "unknown_enum": "status",
        "due_before_issue": "due_date",
        "overpaid": "paid_amount",
    },
}
_BAD_ENUMS = {
    "transactions": ("pending??", "shipped", "unknown"),
    "interactions": ("page_vew", "click??", "bot_hit"),
    "crm_customers": ("maybe", "yes?", "2"),
    "invoices": ("pending", "settled??", "lost"),
}
_BAD_DATES = ("31/02/2026", "yesterday", "2026-13-45 10:00:00")
# Stands for the invalid byte until the file is encoded (the csv module works on text).
BAD_BYTE_MARK = "\ue000"
BAD_BYTE = b"\xe9"  # a Latin-1 'é' in a UTF-8 file


def _due_before_issue(rng: random.Random, row: list[str]) -> None:
    issue = date.fromisoformat(row[column_index("invoices", "issue_date")])
    row[column_index("invoices", "due_date")] = (
        issue - timedelta(days=rng.randint(1, 30))
    ).isoformat()


def _overpaid(rng: random.Random, row: list[str]) -> None:
    amount = Decimal(row[column_index("invoices", "amount")])
    row[column_index("invoices", "paid_amount")] = str(amount + Decimal(rng.randint(1, 5000)) / 100)


_INVOICE_FAULTS = {"due_before_issue": _due_before_issue, "overpaid": _overpaid}


class FaultInjector:
    """Replaces a row by a broken one (or adds an identical copy) with probability `rate`."""

    def __init__(self, source: str, rate: float, rng: random.Random) -> None:
        self.source, self.rate, self.rng = source, rate, rng
        self.kinds = FAULT_KINDS[source]
        self.columns = {
            kind: column_index(source, column) for kind, column in _FAULT_COLUMN[source].items()
        }
        self.counts = dict.fromkeys(self.kinds, 0)

    def apply(self, row: list[str]) -> list[list[str]]:
        rng = self.rng
        if rng.random() >= self.rate:
            return [row]
        kind = rng.choice(self.kinds)
        self.counts[kind] += 1
        if kind == "duplicate_line":
            return [row, row]
        bad = list(row)
        column = self.columns[kind]
        if kind == "bad_date":
            bad[column] = rng.choice(_BAD_DATES)
        elif kind == "negative_amount":  # a negative price on a sale, not a return
            bad[column] = "-" + bad[column]
            bad[column_index(self.source, "status")] = "completed"
        elif kind in ("missing_amount", "missing_key"):
            bad[column] = ""
        elif kind == "unknown_enum":
            bad[column] = rng.choice(_BAD_ENUMS[self.source])
        elif kind in _INVOICE_FAULTS:
            _INVOICE_FAULTS[kind](rng, bad)
        else:  # bad_encoding: a Latin-1 'é' inside a text field
            value = bad[column]
            where = value.find("e")
            bad[column] = (
                value + BAD_BYTE_MARK
                if where < 0
                else value[:where] + BAD_BYTE_MARK + value[where + 1 :]
            )
        return [bad]
