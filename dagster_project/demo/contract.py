"""What the demo writes, derived from the canonical contract (`lib/canonical.py`).

The landing files carry the canonical columns in the canonical order, so the demo never
keeps a copy of them: a column added to the contract shows up here (and in the files the
demo writes, once a generator fills it). The value lists below are the demo's own: the
contract leaves these columns open.
"""

from __future__ import annotations

from ..lib.canonical import SOURCES as CANONICAL_SOURCES
from ..lib.canonical import TRANSACTION_CHANNELS as ORDER_CHANNELS  # noqa: F401 (re-exported)

# Canonical columns the demo leaves out: `line_amount` is what exports give instead of
# `unit_price`; the demo gives the unit price.
_NOT_WRITTEN = {"transactions": ("line_amount",)}

COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in source.columns if c.name not in _NOT_WRITTEN.get(name, ()))
    for name, source in CANONICAL_SOURCES.items()
}
SOURCES = tuple(COLUMNS)
# Written one file per calendar month; the others as one file.
MONTHLY_SOURCES = ("transactions", "interactions")

EVENT_CHANNELS = ("web", "email", "app")
ACQUISITION_CHANNELS = (
    "organic_search",
    "paid_search",
    "social",
    "referral",
    "email",
    "store",
    "marketplace",
)
CAMPAIGN_CHANNELS = ("email", "sms", "direct_mail", "paid_social", "phone")


def column_index(source: str, column: str) -> int:
    """Position of `column` in the rows the demo writes for `source`."""
    return COLUMNS[source].index(column)
