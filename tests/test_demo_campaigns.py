"""The demo campaigns make the decision tables meaningful: control groups, reminders whose
response decays, and first channels whose customers stay for different lengths of time."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from dagster_project.demo import generate

END = date(2026, 10, 31)


def _read(root: Path, source: str) -> list[dict[str, str]]:
    rows = []
    for path in sorted((root / source).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += list(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("landing")
    report = generate(root, customers=2000, seed=11, end_date=END)
    return root, report


def test_control_customers_are_held_out_once_and_never_mailed(landing):
    root, report = landing
    contacts = _read(root, "campaign_contacts")
    controls = [c for c in contacts if c["is_control"] == "true"]
    assert controls and len(controls) < len(contacts) / 2
    per_pair = Counter((c["campaign_id"], c["customer_ref"]) for c in contacts)
    assert all(per_pair[(c["campaign_id"], c["customer_ref"])] == 1 for c in controls)
    assert {c["campaign_id"] for c in controls} == set(report.campaign_uplift)
    mailed = {
        (e["campaign_id"], e["customer_ref"])
        for e in _read(root, "interactions")
        if e["campaign_id"]
    }
    assert not mailed & {(c["campaign_id"], c["customer_ref"]) for c in controls}
    for truth in report.campaign_uplift.values():
        assert 0.005 < truth["true_uplift"] < 0.2 and truth["selected"] > 0


def test_reminders_go_to_non_responders_and_answer_less(landing):
    root, _ = landing
    by_pair = defaultdict(list)
    for c in _read(root, "campaign_contacts"):
        if c["is_control"] == "false":
            by_pair[(c["campaign_id"], c["customer_ref"])].append(c)
    sent, answered = Counter(), Counter()
    for rows in by_pair.values():
        rows.sort(key=lambda c: c["contact_ts"])
        assert all(r["responded"] == "false" for r in rows[:-1])
        for rank, row in enumerate(rows, 1):
            sent[rank] += 1
            answered[rank] += row["responded"] == "true"
    assert sent[2] > 100
    assert answered[1] / sent[1] > 1.2 * answered[2] / sent[2]


def test_store_first_buyers_come_back_more_than_marketplace_first_buyers(landing):
    root, _ = landing
    first: dict[str, tuple[str, str]] = {}
    orders = defaultdict(set)
    for row in _read(root, "transactions"):
        ref = row["customer_ref"]
        if not ref.startswith("C"):
            continue
        orders[ref].add(row["order_id"])
        if ref not in first or row["order_ts"] < first[ref][0]:
            first[ref] = (row["order_ts"], row["channel"])
    repeat = defaultdict(list)
    for ref, (_ts, channel) in first.items():
        repeat[channel].append(len(orders[ref]) > 1)
    share = {channel: sum(flags) / len(flags) for channel, flags in repeat.items()}
    assert share["store"] > share["marketplace"] + 0.15
