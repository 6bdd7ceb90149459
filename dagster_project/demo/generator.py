"""`generate`: deterministic, realistic and optionally dirty demo data for every landing
source, written under one folder.

* **Deterministic** - the same arguments give byte-identical files (one `random.Random`
  stream per concern, seeded from `seed`; no global random, no clock), so tests, demos
  and benchmarks are reproducible. `tests/test_demo_checksums.py` pins the bytes.
* **Realistic** - customers follow buying archetypes with seasonality, returns,
  cancellations, guest checkouts and messy e-mail references, so RFM segments and scores
  mean something (one module per source: customers, transactions, campaigns,
  interactions, notes, invoices).
* **Optionally dirty** - with `dirty_rate > 0` known, counted faults are injected into
  transactions, interactions, crm_customers and invoices (see `faults.py`).

Layout written under `out_dir` (timestamps 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD',
decimals with '.'):

    transactions/transactions_YYYY-MM.csv      one file per calendar month of order_ts
    interactions/interactions_YYYY-MM.csv      one file per calendar month of event_ts
    crm_customers/crm_customers.csv
    crm_notes/crm_notes.csv
    campaigns/campaigns.csv
    campaign_contacts/campaign_contacts.csv
    invoices/invoices.csv                      pay-on-invoice customers, as of end_date

The order of the calls below is part of the output: campaigns add the orders they cause
to the customers' histories before interactions and invoices read them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from .campaigns import CampaignOrders, campaign_rows, contact_rows, make_campaigns, make_contacts
from .contract import SOURCES
from .customers import customer_rows, make_customers
from .interactions import make_interactions
from .invoices import make_invoices
from .landing import GenerationReport, by_month, write_source
from .model import Clock, stream
from .notes import make_notes
from .transactions import make_orders, make_products, transaction_rows


def generate(
    out_dir: Path,
    customers: int = 10_000,
    seed: int = 42,
    *,
    end_date: date,
    days: int = 730,
    dirty_rate: float = 0.0,
) -> GenerationReport:
    """Write the landing sources under `out_dir`; same arguments, same bytes.

    `end_date` is the last day with data (score as of `end_date + 1`); nothing is dated
    after it. Transactions and interactions start on `end_date - days + 1`; CRM signups
    may be earlier (long-standing customers).
    """
    if customers < 1 or days < 1 or not 0.0 <= dirty_rate <= 1.0:
        raise ValueError("need customers >= 1, days >= 1 and 0 <= dirty_rate <= 1")
    if isinstance(end_date, datetime):
        end_date = end_date.date()
    out_dir = Path(out_dir)
    clock = Clock(end_date, days)
    used_emails: set[str] = set()
    catalog = make_products(stream(seed, "products"))
    people = make_customers(stream(seed, "customers"), customers, clock, used_emails)
    orders = make_orders(stream(seed, "orders"), people, catalog, clock, used_emails)
    campaigns = make_campaigns(stream(seed, "campaigns"), clock)
    placed = CampaignOrders(orders, catalog, clock)
    contacts, uplift = make_contacts(stream(seed, "contacts"), campaigns, people, clock, placed)
    events = make_interactions(stream(seed, "interactions"), people, contacts, catalog, clock)
    invoices, payment_behaviour = make_invoices(stream(seed, "invoices"), people, clock)
    outputs = {
        "transactions": {
            f"transactions_{month}.csv": rows
            for month, rows in by_month(transaction_rows(orders, clock), clock).items()
        },
        "interactions": {
            f"interactions_{month}.csv": rows for month, rows in by_month(events, clock).items()
        },
        "crm_customers": {"crm_customers.csv": customer_rows(people, clock)},
        "crm_notes": {"crm_notes.csv": make_notes(stream(seed, "notes"), people, clock)},
        "campaigns": {"campaigns.csv": campaign_rows(campaigns, clock)},
        "campaign_contacts": {"campaign_contacts.csv": contact_rows(contacts, clock)},
        "invoices": {"invoices.csv": invoices},
    }
    report = GenerationReport(payment_behaviour=payment_behaviour, campaign_uplift=uplift)
    for source in SOURCES:
        write_source(out_dir, source, outputs[source], dirty_rate, seed, report)
    return report
