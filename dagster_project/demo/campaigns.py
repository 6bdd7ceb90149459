"""Marketing campaigns and who they contacted (campaigns.csv, campaign_contacts.csv).

Campaigns have a known effect: a contact makes a customer buy with a probability set by
the campaign, the customer's archetype and the offer (`campaign_uplift`), and about half
of them hold out a control group. The true uplift per campaign is returned with the
contacts, so tests can check that the warehouse's estimate finds it.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import timedelta

from . import vocabulary
from .contract import CAMPAIGN_CHANNELS
from .customers import messy_email
from .model import DAY, Clock, Customer, Order, flag
from .transactions import CRM_ID_SHARE, new_order

_CAMPAIGN_CHANNEL_WEIGHTS = (40, 15, 15, 20, 10)  # aligned with CAMPAIGN_CHANNELS
_CAMPAIGN_PROFILE = {  # channel: (cost per contact range, base response range, reach range)
    "email": ((0.01, 0.05), (0.06, 0.12), (0.2, 0.5)),
    "sms": ((0.05, 0.10), (0.06, 0.12), (0.1, 0.25)),
    "direct_mail": ((0.8, 1.5), (0.08, 0.14), (0.1, 0.25)),
    "paid_social": ((0.3, 1.0), (0.02, 0.04), (0.1, 0.3)),
    "phone": ((3.0, 6.0), (0.10, 0.16), (0.05, 0.1)),
}
_CAMPAIGN_MAX_REMINDERS = {"email": 3, "sms": 2, "direct_mail": 2, "paid_social": 0, "phone": 1}
_CAMPAIGN_ORDER_CHANNEL = {  # where a customer orders when a campaign makes them buy
    "email": "web",
    "sms": "web",
    "direct_mail": "mail",
    "paid_social": "web",
    "phone": "phone",
}
# How strongly each archetype reacts to a campaign (x the campaign's base rate) and the
# share of that reaction a reminder keeps (reminder k: x share^k): loyal customers answer
# reminders, one-off and lapsed buyers stop after the first contact.
_CAMPAIGN_REACTION = {
    "prospect": (0.4, 0.2),
    "loyal": (2.0, 0.7),
    "regular": (1.5, 0.5),
    "occasional": (1.0, 0.4),
    "one_off": (0.6, 0.2),
    "lapsed": (0.5, 0.15),
    "new": (1.2, 0.4),
}
_CONTROL_SHARE = 0.25  # held out of a campaign with a control group
_CAMPAIGN_RESPONSE_DAYS = 7  # a reminder follows after this many days without response


@dataclass(slots=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str
    start_day: int
    end_day: int
    cost_per_contact: float
    fixed_cost: int
    offer: str
    response_rate: float
    reach: float
    reminders: int = 0  # follow-up contacts of the non-responders
    control_share: float = 0.0  # share of the selected customers held out as a control group


@dataclass(slots=True)
class Contact:
    campaign: Campaign
    customer: Customer
    ts: int
    response_ts: int = -1
    order_id: str = ""
    is_control: bool = False  # held out: not contacted, its purchases measure the baseline


def make_campaigns(rng: random.Random, clock: Clock, count: int = 20) -> list[Campaign]:
    """Campaigns of various channels; about half of them (not phone) hold out a control
    group and send no reminder, the others remind their non-responders."""
    themes = vocabulary.words("campaign_themes")
    offers = tuple(vocabulary.offers())
    campaigns = []
    starts = sorted(rng.randrange(clock.days) for _ in range(count))
    for number, start in enumerate(starts, 1):
        channel = rng.choices(CAMPAIGN_CHANNELS, weights=_CAMPAIGN_CHANNEL_WEIGHTS)[0]
        cost, response, reach = _CAMPAIGN_PROFILE[channel]
        start_date = clock.start + timedelta(days=start)
        theme = themes[start_date.month - 1]
        with_control = channel != "phone" and rng.random() < 0.5
        reminders = 0 if with_control else rng.randint(0, _CAMPAIGN_MAX_REMINDERS[channel])
        campaigns.append(
            Campaign(
                campaign_id=f"K{number:03d}",
                name=f"{theme} {start_date.year} - {channel}",
                channel=channel,
                start_day=start,
                end_day=min(clock.last_day, start + max(rng.randint(3, 30), 7 * reminders)),
                cost_per_contact=rng.uniform(*cost),
                fixed_cost=rng.randrange(0, 5001, 50),
                offer=rng.choice(offers),
                response_rate=rng.uniform(*response),
                reach=rng.uniform(*reach),
                reminders=reminders,
                control_share=_CONTROL_SHARE if with_control else 0.0,
            )
        )
    return campaigns


def campaign_rows(campaigns: list[Campaign], clock: Clock) -> list[list[str]]:
    return [
        [
            k.campaign_id,
            k.name,
            k.channel,
            clock.date(k.start_day),
            clock.date(k.end_day),
            f"{k.cost_per_contact:.3f}",
            f"{k.fixed_cost}.00",
            k.offer,
        ]
        for k in campaigns
    ]


def campaign_uplift(campaign: Campaign, customer: Customer, reminder: int = 0) -> float:
    """The probability that a contact makes the customer buy who would not have bought
    otherwise: the campaign's base rate x the archetype's reaction x the offer's appeal,
    kept by the archetype's share for every reminder."""
    strength, kept = _CAMPAIGN_REACTION[customer.archetype]
    offer = vocabulary.offers()[campaign.offer]
    return min(0.9, campaign.response_rate * strength * offer * kept**reminder)


def _organic_order(customer: Customer, start: int, end: int) -> Order | None:
    """The customer's first order (not cancelled) in [start, end): bought anyway."""
    times = [o.ts for o in customer.orders]
    for order in customer.orders[bisect.bisect_left(times, start) :]:
        if order.ts >= end:
            return None
        if order.status != "cancelled":
            return order
    return None


class CampaignOrders:
    """Orders a campaign causes: appended to the order list with the next free numbers."""

    def __init__(self, orders: list[Order], catalog: dict, clock: Clock) -> None:
        self.orders, self.catalog, self.clock = orders, catalog, clock
        self.next_number = len(orders) + 1

    def place(self, rng: random.Random, contact: Contact) -> Order | None:
        c, clock = contact.customer, self.clock
        ts = contact.ts + rng.randint(3600, 5 * DAY)
        if ts > clock.end_ts:
            return None
        channel = _CAMPAIGN_ORDER_CHANNEL[contact.campaign.channel]
        ref = c.customer_id if rng.random() < CRM_ID_SHARE else messy_email(rng, c.email)
        order = new_order(rng, self.catalog, clock, ts // DAY, channel, ref, c.favourites, c)
        order.ts = ts
        if order.return_ts >= 0 and order.return_ts <= ts:
            order.return_ts = -1
        order.order_id = f"O{self.next_number:07d}"
        self.next_number += 1
        self.orders.append(order)
        bisect.insort(c.orders, order, key=lambda o: o.ts)
        return order


def _respond(rng: random.Random, contact: Contact, reminder: int, placed: CampaignOrders) -> None:
    """A contact is answered by an order within the response window: one the customer
    placed anyway (the baseline a control group measures) or one the campaign caused
    (with probability `campaign_uplift`). A held-out customer can only buy anyway."""
    window_end = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY
    order = _organic_order(contact.customer, contact.ts + 1, window_end)
    uplift = campaign_uplift(contact.campaign, contact.customer, reminder)
    caused = not contact.is_control and order is None and rng.random() < uplift
    if caused:
        order = placed.place(rng, contact)
    if order is None:
        return
    contact.response_ts = max(contact.ts + 1, order.ts - rng.randint(0, 2 * 3600))
    contact.order_id = order.order_id


def make_contacts(
    rng: random.Random, campaigns: list, customers: list, clock: Clock, placed: CampaignOrders
) -> tuple[list[Contact], dict[str, dict]]:
    """Each campaign selects a share of eligible customers in its first days, holds out a
    control group when it has one, and reminds non-responders every few days.

    Returns the contacts and, per campaign with a control group, its true uplift: the mean
    over the selected customers of the chance the contact makes them buy when they would not
    have bought anyway, i.e. what contacted minus control response rates estimate."""
    contacts, truth = [], {}
    for campaign in campaigns:
        first_ts = campaign.start_day * DAY
        eligible = [
            c
            for c in customers
            if c.signup_ts < first_ts
            and (campaign.channel != "email" or c.opt_in)
            and (campaign.channel != "phone" or c.orders)
        ]
        chosen = rng.sample(eligible, int(len(eligible) * campaign.reach))
        window = min(3, campaign.end_day - campaign.start_day + 1)
        batch, expected = [], []
        for customer in chosen:
            day = campaign.start_day + rng.randrange(window)
            contact = Contact(campaign, customer, day * DAY + rng.randint(8 * 3600, 20 * 3600))
            contact.is_control = rng.random() < campaign.control_share
            window_end = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY
            if campaign.control_share and window_end <= clock.end_ts:
                bought = _organic_order(customer, contact.ts + 1, window_end) is not None
                expected.append(0.0 if bought else campaign_uplift(campaign, customer))
            _respond(rng, contact, 0, placed)
            batch.append(contact)
            for reminder in range(1, campaign.reminders + 1):
                if contact.is_control or contact.response_ts >= 0:
                    break
                ts = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY + rng.randint(-3600, 3600)
                if ts > clock.end_ts:
                    break
                contact = Contact(campaign, customer, ts)
                _respond(rng, contact, reminder, placed)
                batch.append(contact)
        if expected:
            truth[campaign.campaign_id] = {
                "selected": len(expected),
                "true_uplift": sum(expected) / len(expected),
            }
        batch.sort(key=lambda c: (c.ts, c.customer.customer_id))
        contacts.extend(batch)
    return contacts, truth


def contact_rows(contacts: list[Contact], clock: Clock) -> list[list[str]]:
    return [
        [
            c.campaign.campaign_id,
            c.customer.customer_id,
            clock.ts(c.ts),
            flag(c.response_ts >= 0),
            clock.ts(c.response_ts) if c.response_ts >= 0 else "",
            c.order_id,
            flag(c.is_control),
        ]
        for c in contacts
    ]
