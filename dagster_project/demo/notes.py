"""Free-text CRM notes written by sales and service staff (crm_notes.csv).

The note's kind (complaint, cancellation intent, interest, advocacy, price, neutral)
depends on the customer's archetype and its timing on their orders, so the warehouse's
note signals have something true to find; the text is typed like real notes (lower case,
no accents, shouting, channel prefixes), in French and English.
"""

from __future__ import annotations

import random

from . import vocabulary
from .customers import FOLD_ACCENTS
from .model import DAY, Clock, Customer

_NOTE_KINDS = ("complaint", "cancellation", "interest", "advocacy", "price", "neutral")
_NOTE_WEIGHTS = {  # aligned with _NOTE_KINDS
    "prospect": (3, 2, 40, 0, 25, 30),
    "loyal": (10, 2, 20, 35, 5, 28),
    "regular": (15, 5, 20, 15, 10, 35),
    "occasional": (15, 7, 15, 8, 20, 35),
    "one_off": (30, 10, 5, 5, 20, 30),
    "lapsed": (35, 25, 3, 2, 15, 20),
    "new": (10, 3, 30, 15, 10, 32),
}


def _note_ts(rng: random.Random, c: Customer, kind: str, clock: Clock) -> int:
    """Complaints follow an order, cancellation intent follows a lapsed customer's last one.

    Notes are written in office hours (8:00-19:00) unless that would precede the signup.
    """
    floor = min(max(0, c.signup_ts + 1), clock.end_ts)
    if kind == "complaint" and c.orders:
        order = c.orders[-1] if c.archetype == "lapsed" else rng.choice(c.orders)
        ts = order.ts + rng.randint(DAY, 10 * DAY)
    elif kind == "cancellation" and c.archetype == "lapsed":
        ts = c.orders[-1].ts + rng.randint(7 * DAY, 60 * DAY)
    else:
        ts = rng.randint(floor, clock.end_ts)
    ts = ts // DAY * DAY + rng.randint(8 * 3600, 19 * 3600)
    return min(max(ts, floor), clock.end_ts)


def _note_text(rng: random.Random, kind: str, c: Customer) -> str:
    text = rng.choice(vocabulary.note_templates()[kind]).format(
        n=rng.choice((2, 3, 5, 10, 20, 50)), category=rng.choice(c.favourites)
    )
    roll = rng.random()
    if roll < 0.12:
        text = text.lower()
    elif roll < 0.2:
        text = text.translate(FOLD_ACCENTS)  # typed without accents
    elif roll < 0.23:
        text = text.upper()
    if rng.random() < 0.25:
        text = rng.choice(vocabulary.note_prefixes()) + text
    return text


def make_notes(rng: random.Random, customers: list, clock: Clock) -> list[list[str]]:
    """About one note per five customers; the kind depends on the customer's archetype."""
    authors = vocabulary.words("authors")
    notes = []
    for _ in range(round(len(customers) / 5)):
        c = rng.choice(customers)
        kind = rng.choices(_NOTE_KINDS, weights=_NOTE_WEIGHTS[c.archetype])[0]
        ts = _note_ts(rng, c, kind, clock)
        ref = c.customer_id if rng.random() < 0.9 else c.email
        notes.append((ts, ref, rng.choice(authors), _note_text(rng, kind, c)))
    notes.sort()
    return [
        [f"N{number:06d}", ref, clock.ts(ts), author, text]
        for number, (ts, ref, author, text) in enumerate(notes, 1)
    ]
