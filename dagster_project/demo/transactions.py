"""Orders and their lines (transactions_YYYY-MM.csv): the product catalogue, baskets,
cancellations and returns, guest checkouts.

Customers order on the days their archetype planned (see `customers.py`) and refer to
themselves by CRM id or by a messily typed e-mail, as real checkouts do; about one order
in twenty is a guest's, unknown to the CRM.
"""

from __future__ import annotations

import random

from . import vocabulary
from .contract import ORDER_CHANNELS
from .customers import COUNTRY_POOL, PREFERRED_CHANNEL_WEIGHTS, messy_email, unique_email
from .model import (
    CATEGORIES,
    CATEGORY_NAMES,
    DAY,
    WEB_HOURS,
    Clock,
    Customer,
    Order,
    hour_pool,
    money,
    seasonal_day,
)

CRM_ID_SHARE = 0.84  # of CRM customers' orders; the rest use the e-mail
_GUEST_SHARE = 0.05  # of all orders
_CANCEL_RATE, _RETURN_RATE = 0.02, 0.04
_BASKET_SIZES = (1,) * 10 + (2,) * 6 + (3,) * 3 + (4,)
_QUANTITIES = (1,) * 16 + (2,) * 5 + (3,) * 2 + (4,) + (6,)
_DISCOUNT_PCTS = (5, 10, 10, 15, 20, 20, 30)
_FIRST_CHANNEL_WEIGHTS = {  # channel of the first order by archetype, aligned with ORDER_CHANNELS
    "prospect": (55, 22, 8, 5, 10),
    "loyal": (35, 45, 10, 7, 3),
    "regular": (45, 35, 8, 6, 6),
    "occasional": (55, 22, 8, 5, 10),
    "one_off": (40, 8, 4, 4, 44),
    "lapsed": (45, 10, 5, 5, 35),
    "new": (55, 22, 8, 5, 10),
}
_GUEST_CHANNELS = ("web",) * 6 + ("marketplace",) * 3 + ("phone",)
_ORDER_HOURS = {
    "web": WEB_HOURS,
    "marketplace": WEB_HOURS,
    "store": hour_pool(
        {9: 2, 10: 4, 11: 6, 12: 5, 13: 4, 14: 5, 15: 6, 16: 7, 17: 8, 18: 6, 19: 3}
    ),
    "phone": hour_pool({9: 4, 10: 6, 11: 6, 12: 2, 13: 3, 14: 6, 15: 6, 16: 5, 17: 3}),
    "mail": hour_pool({8: 3, 9: 5, 10: 5, 11: 4, 14: 4, 15: 4, 16: 3}),
}


def make_products(rng: random.Random) -> dict[str, list[tuple[str, str, int]]]:
    """About 200 products in 8 categories with a stable price in cents (5-400 EUR)."""
    catalog: dict[str, list[tuple[str, str, int]]] = {name: [] for name in CATEGORY_NAMES}
    for number in sorted(rng.sample(range(1, 1000), 200)):
        category = rng.choice(CATEGORY_NAMES)
        low, high = CATEGORIES[category]
        euros = int(low + (high - low) * rng.random() ** 1.8)
        cents = euros * 100 + rng.choice((99, 99, 90, 0, 50))
        catalog[category].append((f"P{number:04d}", category, cents))
    return catalog


def _basket(rng: random.Random, catalog: dict, favourites: tuple, on_sale: bool) -> list:
    lines, seen = [], set()
    discount_rate = 0.4 if on_sale else 0.1
    for _ in range(rng.choice(_BASKET_SIZES)):
        favourite = rng.random() < 0.65
        category = rng.choice(favourites if favourite else CATEGORY_NAMES)
        product = rng.choice(catalog[category])
        if product[0] in seen:
            continue
        seen.add(product[0])
        quantity = rng.choice(_QUANTITIES)
        discount = 0
        if rng.random() < discount_rate:
            discount = product[2] * quantity * rng.choice(_DISCOUNT_PCTS) // 100
        lines.append((product, quantity, discount))
    return lines


def _set_status(rng: random.Random, order: Order, end_ts: int) -> None:
    """About 2% of orders are cancelled; about 4% get a returned line 3-20 days later."""
    roll = rng.random()
    if roll < _CANCEL_RATE:
        order.status = "cancelled"
    elif roll < _CANCEL_RATE + _RETURN_RATE and order.ts + 3 * DAY <= end_ts:
        order.return_ts = rng.randint(order.ts + 3 * DAY, min(order.ts + 20 * DAY, end_ts))
        order.return_line = rng.randrange(len(order.lines))


def new_order(rng, catalog, clock, day, channel, ref, favourites, customer) -> Order:
    """One order on `day`, at an hour that suits its channel, with its basket and status."""
    ts = day * DAY + rng.choice(_ORDER_HOURS[channel]) * 3600 + rng.randrange(3600)
    lines = _basket(rng, catalog, favourites, clock.season[day] > 1)
    order = Order(ts, ref, channel, lines, customer)
    _set_status(rng, order, clock.end_ts)
    return order


def _first_order_channel(c: Customer) -> str:
    """The first order's channel depends on how loyal the customer turns out to be (store
    first buyers stay, marketplace first buyers rarely come back); drawn from a stream of
    its own so the other draws do not move."""
    rng = random.Random(f"first-channel:{c.email}")
    return rng.choices(ORDER_CHANNELS, weights=_FIRST_CHANNEL_WEIGHTS[c.archetype])[0]


def _customer_orders(rng: random.Random, customers: list, catalog: dict, clock: Clock) -> list:
    orders = []
    for c in customers:
        for number, day in enumerate(c.order_days):
            channel = (
                c.channel
                if rng.random() < 0.7
                else rng.choices(ORDER_CHANNELS, weights=PREFERRED_CHANNEL_WEIGHTS)[0]
            )
            if number == 0:
                channel = _first_order_channel(c)
            ref = c.customer_id if rng.random() < CRM_ID_SHARE else messy_email(rng, c.email)
            orders.append(new_order(rng, catalog, clock, day, channel, ref, c.favourites, c))
    return orders


def _guest_orders(
    rng: random.Random, target: int, catalog: dict, clock: Clock, used: set
) -> list[Order]:
    """Guest checkouts: e-mails unknown to the CRM, each buying 1-3 times."""
    orders: list[Order] = []
    while len(orders) < target:
        country = rng.choice(COUNTRY_POOL)
        firsts, lasts = vocabulary.names()[country]
        email = unique_email(rng, rng.choice(firsts), rng.choice(lasts), country, used)
        count = min(rng.choice((1, 1, 1, 2, 2, 3)), target - len(orders))
        favourites = (rng.choice(CATEGORY_NAMES),)
        for day in sorted(seasonal_day(rng, clock, 0, clock.last_day) for _ in range(count)):
            ref = email if rng.random() < 0.8 else messy_email(rng, email)
            channel = rng.choice(_GUEST_CHANNELS)
            orders.append(new_order(rng, catalog, clock, day, channel, ref, favourites, None))
    return orders


def make_orders(
    rng: random.Random, customers: list, catalog: dict, clock: Clock, used: set
) -> list[Order]:
    """All orders, numbered in time order; each customer's list is filled in time order."""
    orders = _customer_orders(rng, customers, catalog, clock)
    target = round(len(orders) * _GUEST_SHARE / (1 - _GUEST_SHARE))
    orders += _guest_orders(rng, target, catalog, clock, used)
    orders.sort(key=lambda o: (o.ts, o.ref))
    for number, order in enumerate(orders, 1):
        order.order_id = f"O{number:07d}"
        if order.customer is not None:
            order.customer.orders.append(order)
    return orders


def _line_row(order: Order, number: int, ts_text: str, line: tuple, status: str) -> list[str]:
    product, quantity, discount = line
    return [
        order.order_id,
        str(number),
        order.ref,
        ts_text,
        order.channel,
        product[0],
        product[1],
        str(quantity),
        money(product[2]),
        money(discount),
        "EUR",
        status,
    ]


def transaction_rows(orders: list[Order], clock: Clock) -> list[tuple[int, list[str]]]:
    """(timestamp, row) per order line, sorted by time, order and line number; a return is
    one more line of its order, with the returned line's product and status `returned`."""
    keyed = []
    for o in orders:
        ts_text = clock.ts(o.ts)
        for number, line in enumerate(o.lines, 1):
            keyed.append((o.ts, o.order_id, number, _line_row(o, number, ts_text, line, o.status)))
        if o.return_ts >= 0:
            number = len(o.lines) + 1
            line = o.lines[o.return_line]
            row = _line_row(o, number, clock.ts(o.return_ts), line, "returned")
            keyed.append((o.return_ts, o.order_id, number, row))
    keyed.sort(key=lambda k: k[:3])
    return [(k[0], k[3]) for k in keyed]
