"""Web, app and e-mail events (interactions_YYYY-MM.csv).

Events follow the customers' lives: product views cluster in the week before an order,
spontaneous visits fade once a customer lapses, newsletters are opened by the engaged,
e-mail campaigns are opened and clicked by those who responded. About 15% of events are
anonymous (no customer_ref).
"""

from __future__ import annotations

import random

from . import vocabulary
from .campaigns import Contact
from .model import CATEGORY_NAMES, DAY, WEB_HOURS, Clock, Customer, seasonal_day

_ANONYMOUS_SHARE = 0.15  # of all events
_BROWSE_PER_30_DAYS = {
    "prospect": 0.6,
    "loyal": 1.8,
    "regular": 0.9,
    "occasional": 0.6,
    "one_off": 0.5,
    "lapsed": 0.8,
    "new": 2.5,
}
_NEWSLETTER_OPEN = {
    "prospect": 0.1,
    "loyal": 0.35,
    "regular": 0.25,
    "occasional": 0.15,
    "one_off": 0.08,
    "lapsed": 0.2,
    "new": 0.3,
}
_NEWSLETTER_EVERY_DAYS = 14
_BROWSE_TYPES = (
    ("product_page_view",) * 11
    + ("blog_view",) * 5
    + ("pricing_page_view",) * 2
    + ("cart_add",)
    + ("form_submit",)
)
_ANONYMOUS_TYPES = (
    ("product_page_view",) * 11 + ("blog_view",) * 5 + ("pricing_page_view",) * 2 + ("cart_add",)
)


def _landing_url(rng: random.Random, catalog: dict, favourites: tuple) -> str:
    roll = rng.random()
    if roll < 0.6:
        return f"/products/{rng.choice(catalog[rng.choice(favourites)])[0]}"
    return f"/collections/{rng.choice(favourites)}" if roll < 0.85 else "/sale"


def _page_url(rng: random.Random, event_type: str, catalog: dict, favourites: tuple) -> str:
    if event_type == "product_page_view":
        category = rng.choice(favourites if rng.random() < 0.7 else CATEGORY_NAMES)
        return f"/products/{rng.choice(catalog[category])[0]}"
    if event_type == "blog_view":
        return f"/blog/{rng.choice(vocabulary.words('blog_slugs'))}"
    if event_type == "pricing_page_view":
        return "/pricing"
    if event_type == "cart_add":
        return "/cart"
    return rng.choice(vocabulary.words("form_urls"))


def _pre_order_events(rng: random.Random, c: Customer, web: str, out: list) -> None:
    """Product views in the week before an order and a cart add just before web orders."""
    floor = max(0, c.signup_ts + 1)
    for order in c.orders:
        if rng.random() < (0.8 if order.channel == "web" else 0.45):
            for _ in range(rng.randint(1, 4)):
                ts = order.ts - rng.randint(300, 7 * DAY)
                if ts >= floor:
                    ref = c.customer_id if rng.random() < 0.8 else c.email
                    product = rng.choice(order.lines)[0][0]
                    out.append((ts, ref, "product_page_view", web, f"/products/{product}", ""))
        if order.channel == "web" and rng.random() < 0.7:
            ts = order.ts - rng.randint(60, 2 * 3600)
            if ts >= floor:
                out.append((ts, c.customer_id, "cart_add", web, "/cart", ""))


def _browse_events(
    rng: random.Random, c: Customer, catalog: dict, first_day: int, web: str, out: list
) -> None:
    """Spontaneous visits while the customer is active; busier for active buyers."""
    span = c.active_to - first_day + 1
    if span <= 0:
        return
    count = int(_BROWSE_PER_30_DAYS[c.archetype] * span / 30 + rng.random())
    for _ in range(count):
        ts = (
            rng.randint(first_day, c.active_to) * DAY
            + rng.choice(WEB_HOURS) * 3600
            + rng.randrange(3600)
        )
        event_type = rng.choice(_BROWSE_TYPES)
        ref = c.customer_id if rng.random() < 0.8 else c.email
        out.append(
            (ts, ref, event_type, web, _page_url(rng, event_type, catalog, c.favourites), "")
        )


def _newsletter_events(
    rng: random.Random,
    c: Customer,
    catalog: dict,
    first_day: int,
    stop_day: int,
    end_ts: int,
    out: list,
) -> None:
    """Fortnightly newsletter opens and clicks (no campaign id); rare once inactive."""
    engaged = _NEWSLETTER_OPEN[c.archetype]
    day = first_day + (3 - first_day) % _NEWSLETTER_EVERY_DAYS
    while day <= stop_day:
        if rng.random() < (engaged if day <= c.active_to else 0.01):
            opened = day * DAY + 10 * 3600 + rng.randint(60, 2 * DAY)
            if opened <= end_ts:
                ref = c.customer_id if rng.random() < 0.8 else c.email
                out.append((opened, ref, "email_open", "email", "/email/open", ""))
                clicked = opened + rng.randint(5, 900)
                if rng.random() < 0.2 and clicked <= end_ts:
                    url = _landing_url(rng, catalog, c.favourites)
                    out.append((clicked, ref, "email_click", "email", url, ""))
        day += _NEWSLETTER_EVERY_DAYS


def _life_events(rng: random.Random, c: Customer, first_day: int, last_day: int, out: list) -> int:
    """Webinars (with their sign-up form) and unsubscribes; returns the last newsletter day."""
    if c.active_to >= first_day + 10 and rng.random() < 0.05:
        for _ in range(rng.randint(1, 2)):
            day = rng.randint(first_day + 10, c.active_to)
            slug = rng.choice(vocabulary.words("webinars"))
            form_ts = (day - rng.randint(2, 10)) * DAY + rng.choice(WEB_HOURS) * 3600
            out.append((form_ts, c.customer_id, "form_submit", "web", "/webinars/register", ""))
            out.append(
                (
                    day * DAY + 18 * 3600 + rng.randrange(1800),
                    c.customer_id,
                    "webinar_attended",
                    "web",
                    f"/webinars/{slug}",
                    "",
                )
            )
    if c.opt_in:
        return last_day
    if first_day > last_day or rng.random() < 0.5:
        return -1  # never subscribed within the period
    day = rng.randint(first_day, last_day)
    ts = day * DAY + rng.choice(WEB_HOURS) * 3600 + rng.randrange(3600)
    out.append((ts, c.customer_id, "unsubscribe", "email", "/email/unsubscribe", ""))
    return day - 1


def _campaign_email_events(
    rng: random.Random, contact: Contact, catalog: dict, end_ts: int, out: list
) -> None:
    """Opens and clicks of e-mail campaigns; every responder clicked (at response_ts)."""
    c, campaign_id = contact.customer, contact.campaign.campaign_id
    if contact.response_ts >= 0:
        opened = max(contact.ts + 1, contact.response_ts - rng.randint(30, 1800))
        out.append((opened, c.customer_id, "email_open", "email", "/email/open", campaign_id))
        url = _landing_url(rng, catalog, c.favourites)
        out.append((contact.response_ts, c.customer_id, "email_click", "email", url, campaign_id))
        return
    opened = contact.ts + rng.randint(60, 2 * DAY)
    if rng.random() < 0.3 and opened <= end_ts:
        out.append((opened, c.customer_id, "email_open", "email", "/email/open", campaign_id))
        clicked = opened + rng.randint(5, 900)
        if rng.random() < 0.15 and clicked <= end_ts:
            url = _landing_url(rng, catalog, c.favourites)
            out.append((clicked, c.customer_id, "email_click", "email", url, campaign_id))


def _anonymous_events(rng: random.Random, count: int, catalog: dict, clock: Clock) -> list:
    out = []
    for _ in range(count):
        day = seasonal_day(rng, clock, 0, clock.last_day)
        ts = day * DAY + rng.choice(WEB_HOURS) * 3600 + rng.randrange(3600)
        event_type = rng.choice(_ANONYMOUS_TYPES)
        channel = "app" if rng.random() < 0.2 else "web"
        out.append(
            (ts, "", event_type, channel, _page_url(rng, event_type, catalog, CATEGORY_NAMES), "")
        )
    return out


def make_interactions(
    rng: random.Random, customers: list, contacts: list, catalog: dict, clock: Clock
) -> list[tuple[int, list[str]]]:
    """(timestamp, row) per event, sorted by time, numbered in that order."""
    events: list[tuple] = []
    for c in customers:
        first_day = max(0, c.signup_ts // DAY + 1)
        web = "app" if c.app_user and rng.random() < 0.6 else "web"
        _pre_order_events(rng, c, web, events)
        _browse_events(rng, c, catalog, first_day, web, events)
        stop_day = _life_events(rng, c, first_day, clock.last_day, events)
        _newsletter_events(rng, c, catalog, first_day, stop_day, clock.end_ts, events)
    for contact in contacts:
        if contact.campaign.channel == "email" and not contact.is_control:
            _campaign_email_events(rng, contact, catalog, clock.end_ts, events)
    anonymous = round(len(events) * _ANONYMOUS_SHARE / (1 - _ANONYMOUS_SHARE))
    events += _anonymous_events(rng, anonymous, catalog, clock)
    events.sort()
    return [
        (e[0], [f"E{number:08d}", e[1], clock.ts(e[0]), e[2], e[3], e[4], e[5]])
        for number, e in enumerate(events, 1)
    ]
