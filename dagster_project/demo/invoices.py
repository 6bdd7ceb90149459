"""Invoices and their payments for customers who pay on invoice (invoices.csv).

Each invoiced customer has a hidden payment behaviour (on time, late, drifting later and
later, or stopping to pay) that shapes their invoices; it is returned as ground truth so
tests can check that the payment-risk score ranks the bad payers first. The file shows the
invoices as the accounting system does on the last data day: unpaid ones are open.
"""

from __future__ import annotations

import random

from .model import DAY, Clock, Customer, Order, money

_INVOICED_SHARE = 0.35  # of customers with 3 orders or more: they pay on invoice
_PAYMENT_TERMS = (14, 30, 30, 30, 45)  # days from issue to due date, per customer
# How invoiced customers pay: most on time, some habitually late, a few later and later,
# a few stop paying. Drifting needs invoices both in the last months and before.
_PAYMENT_BEHAVIOURS = ("on_time", "late", "drifting", "write_off")
_PAYMENT_WEIGHTS = (64, 16, 14, 6)
_DRIFT_RECENT_DAYS = 120
_DISPUTE_RATE = 0.03
_PARTIAL_RATE = 0.03
_WRITE_OFF_AFTER_DAYS = 120  # overdue this long, an unpaid invoice is written off
_SETTLED_AFTER_DAYS = 60  # a dispute or an instalment plan is over within this


def _days_late(rng: random.Random, behaviour: str, day: int, clock: Clock) -> int:
    """Days between due date and payment (negative: paid early)."""
    if behaviour == "late":
        return rng.randint(-2, 8) if rng.random() < 0.1 else rng.randint(20, 65)
    if behaviour == "drifting":  # on time a year ago, weeks late in the last months
        progress = max(0.0, 1 - (clock.last_day - day) / 365)
        return round(-4 + 60 * progress**2) + rng.randint(-3, 3)
    return rng.randint(1, 12) if rng.random() < 0.08 else rng.randint(-10, 0)


def _order_amount(order: Order) -> int:
    return sum(product[2] * quantity - discount for product, quantity, discount in order.lines)


def _payment_behaviour(rng: random.Random, days: list[int], clock: Clock) -> str:
    behaviour = rng.choices(_PAYMENT_BEHAVIOURS, weights=_PAYMENT_WEIGHTS)[0]
    recent = clock.last_day - _DRIFT_RECENT_DAYS
    early = clock.last_day - 365
    if behaviour == "drifting" and not (
        sum(d >= recent for d in days) >= 2 and sum(early <= d < recent for d in days) >= 2
    ):
        return "on_time"
    return behaviour


def _invoice_row(rng, order: Order, behaviour: str, terms: int, unpaid: bool, clock) -> list:
    issue = order.ts // DAY + rng.randint(0, 2)
    due = issue + terms
    amount = _order_amount(order)
    paid_amount, paid_day, status = 0, -1, "open"
    roll = rng.random()
    # Disputes and instalments get settled in time: only recent invoices show them.
    recent = due > clock.last_day - _SETTLED_AFTER_DAYS
    if unpaid:  # the customer stopped paying
        status = "written_off" if due + _WRITE_OFF_AFTER_DAYS <= clock.last_day else "open"
    elif roll < _DISPUTE_RATE and recent:
        status = "disputed"
    else:
        paid_day = max(issue, due + _days_late(rng, behaviour, issue, clock))
        if paid_day > clock.last_day:
            paid_day = -1
        elif roll < _DISPUTE_RATE + _PARTIAL_RATE and recent:
            paid_amount, status = amount * rng.randint(3, 7) // 10, "partially_paid"
        else:
            paid_amount, status = amount, "paid"
    return [
        "",
        order.ref,
        order.order_id,
        clock.date(issue),
        clock.date(due),
        money(amount),
        "EUR",
        money(paid_amount) if paid_day >= 0 else "",
        clock.date(paid_day) if paid_day >= 0 else "",
        status,
    ]


def make_invoices(
    rng: random.Random, customers: list[Customer], clock: Clock
) -> tuple[list[list[str]], dict[str, str]]:
    """One invoice per non-cancelled order of the customers who pay on invoice, as the
    accounting system shows them on `end_date`; and each such customer's behaviour."""
    keyed, behaviours = [], {}
    for c in customers:
        orders = [o for o in c.orders if o.status != "cancelled" and o.ts // DAY < clock.last_day]
        if len(orders) < 3 or rng.random() >= _INVOICED_SHARE:
            continue
        behaviour = _payment_behaviour(rng, [o.ts // DAY for o in orders], clock)
        behaviours[c.customer_id] = behaviour
        terms = rng.choice(_PAYMENT_TERMS)
        stops = len(orders) - rng.randint(1, 3) if behaviour == "write_off" else len(orders)
        for number, order in enumerate(orders):
            row = _invoice_row(rng, order, behaviour, terms, number >= stops, clock)
            keyed.append((row[3], order.order_id, row))
    keyed.sort(key=lambda k: k[:2])
    for number, (*_, row) in enumerate(keyed, 1):
        row[0] = f"F{number:07d}"
    return [row for *_, row in keyed], behaviours
