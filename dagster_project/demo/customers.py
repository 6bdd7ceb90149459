"""CRM customers: who they are, where they live, how they buy (crm_customers.csv).

Each customer gets a buying archetype (loyal, regular, occasional, one-off, lapsed, new,
or a never-buying prospect) that decides their order days; the other generators read
those plans, so RFM segments and scores computed from the files mean something.
"""

from __future__ import annotations

import random
from datetime import timedelta

from . import vocabulary
from .contract import ACQUISITION_CHANNELS, ORDER_CHANNELS
from .model import (
    ARCHETYPES,
    CATEGORY_NAMES,
    DAY,
    SEASON_MAX,
    Clock,
    Customer,
    flag,
    seasonal_day,
)

_ARCHETYPE_WEIGHTS = (15, 8, 15, 27, 17, 11, 7)  # aligned with ARCHETYPES
_ACQUISITION_WEIGHTS = (25, 18, 15, 10, 8, 18, 6)  # aligned with ACQUISITION_CHANNELS
PREFERRED_CHANNEL_WEIGHTS = (55, 22, 8, 5, 10)  # aligned with ORDER_CHANNELS
_LOYALTY_RATE = {
    "prospect": 0.05,
    "loyal": 0.8,
    "regular": 0.5,
    "occasional": 0.25,
    "one_off": 0.1,
    "lapsed": 0.4,
    "new": 0.2,
}
COUNTRY_POOL = (
    ("FR",) * 70 + ("BE",) * 8 + ("CH",) * 5 + ("DE",) * 5 + ("ES",) * 5 + ("IT",) * 4 + ("GB",) * 3
)
_POSTCODE_WIDTH = {"FR": 5, "BE": 4, "CH": 4, "DE": 5, "ES": 5, "IT": 5}
_GB_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_ACCENTS = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY"
# Text as typed on a keyboard without accents (e-mail addresses, hurried notes).
FOLD_ACCENTS = str.maketrans(
    {**dict(zip(_ACCENTS, _PLAIN, strict=True)), "œ": "oe", "Œ": "OE", "æ": "ae", "ß": "ss"}
)


def _slug(text: str) -> str:
    return "".join(
        ch for ch in text.lower().translate(FOLD_ACCENTS) if ch.isascii() and ch.isalnum()
    )


def unique_email(rng: random.Random, first: str, last: str, country: str, used: set) -> str:
    """An address built from the name, unique among `used` (CRM customers and guests)."""
    f, last_slug = _slug(first), _slug(last)
    local = rng.choice(
        (
            f"{f}.{last_slug}",
            f"{f[0]}{last_slug}",
            f"{f}_{last_slug}",
            f"{f}.{last_slug}{rng.randint(1, 99)}",
            f"{last_slug}.{f}",
        )
    )
    domain = rng.choice(vocabulary.email_domains()[country])
    email = f"{local}@{domain}"
    while email in used:
        email = f"{local}{rng.randint(2, 999)}@{domain}"
    used.add(email)
    return email


def messy_email(rng: random.Random, email: str) -> str:
    """How people type their e-mail at checkout: case and surrounding spaces vary."""
    roll = rng.random()
    if roll < 0.55:
        return email
    local, domain = email.split("@")
    title = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
    if roll < 0.75:
        return title
    if roll < 0.85:
        return email.upper()
    if roll < 0.95:
        return f" {title} "
    return f"{email} "


def _city(rng: random.Random, country: str) -> tuple[str, str]:
    if country == "GB":
        city, outward = rng.choice(vocabulary.gb_cities())
        letters = _GB_POSTCODE_LETTERS
        inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        return city, f"{rng.choice(outward)} {inward}"
    city, low, high = rng.choice(vocabulary.cities()[country])
    return city, f"{rng.randint(low, high):0{_POSTCODE_WIDTH[country]}d}"


def _birth_date(rng: random.Random, clock: Clock) -> str:
    if rng.random() < 0.05:
        return ""
    end = clock.start + timedelta(days=clock.last_day)
    age_days = int(rng.triangular(18 * 366, 85 * 365, 38 * 365))
    return (end - timedelta(days=age_days)).isoformat()


def _preferred_channel(rng: random.Random, acquisition: str) -> str:
    if acquisition in ("store", "marketplace") and rng.random() < 0.7:
        return acquisition
    return rng.choices(ORDER_CHANNELS, weights=PREFERRED_CHANNEL_WEIGHTS)[0]


def _make_profile(rng: random.Random, archetype: str, clock: Clock, used: set) -> Customer:
    country = rng.choice(COUNTRY_POOL)
    firsts, lasts = vocabulary.names()[country]
    first, last = rng.choice(firsts), rng.choice(lasts)
    city, postcode = _city(rng, country)
    acquisition = rng.choices(ACQUISITION_CHANNELS, weights=_ACQUISITION_WEIGHTS)[0]
    return Customer(
        archetype=archetype,
        first_name=first,
        last_name=last,
        email=unique_email(rng, first, last, country, used),
        country=country,
        city=city,
        postcode=postcode,
        birth_date=_birth_date(rng, clock),
        acquisition=acquisition,
        opt_in=rng.random() < (0.75 if archetype == "loyal" else 0.6),
        loyalty=rng.random() < _LOYALTY_RATE[archetype],
        channel=_preferred_channel(rng, acquisition),
        favourites=tuple(rng.sample(CATEGORY_NAMES, rng.randint(1, 3))),
        app_user=rng.random() < 0.25,
        order_days=_order_days(rng, archetype, clock),
    )


def _rhythm(rng: random.Random, clock: Clock, first: int, last: int, gap: float) -> list[int]:
    """Order days every `gap` days on average between first and last, thinned by season."""
    step = gap * clock.accept  # candidates are denser; thinning brings the mean back to gap
    season, days = clock.season, []
    day = first + rng.random() * step
    while day <= last:
        if rng.random() * SEASON_MAX < season[int(day)]:
            days.append(int(day))
        day += step * rng.uniform(0.5, 1.5)
    return days or [seasonal_day(rng, clock, first, last)]


def _order_days(rng: random.Random, archetype: str, clock: Clock) -> list[int]:
    last = clock.last_day
    start = 0 if rng.random() < 0.7 else rng.randrange(max(1, clock.days // 2))
    if archetype == "prospect":
        return []
    if archetype == "loyal":
        return _rhythm(rng, clock, start, last, rng.uniform(14, 42))
    if archetype == "regular":
        return _rhythm(rng, clock, start, last, rng.uniform(60, 120))
    if archetype == "occasional":
        return _rhythm(rng, clock, start, last, 365 / rng.uniform(1, 4))
    if archetype == "lapsed":
        stop = max(last - rng.randint(180, 540), min(last, 30))
        return _rhythm(rng, clock, min(start, stop), stop, rng.uniform(20, 60))
    if archetype == "new":
        days = [max(0, last - rng.randrange(90))]
        while len(days) < 3 and rng.random() < 0.4 and days[-1] + 7 <= last:
            days.append(rng.randint(days[-1] + 7, min(last, days[-1] + 40)))
        return days
    return [seasonal_day(rng, clock, 0, last)]  # one_off


def _signup_ts(rng: random.Random, customer: Customer, clock: Clock) -> int:
    """Prospects sign up any time; buyers before their first order (often long before)."""
    if not customer.order_days:
        return rng.randint(-2 * 365 * DAY, clock.end_ts)
    first = customer.order_days[0] * DAY
    if customer.archetype == "new" or (first > 30 * DAY and rng.random() < 0.5):
        return first - rng.randint(600, 30 * DAY)
    return first - rng.randint(600, 3 * 365 * DAY)


def _active_to(rng: random.Random, customer: Customer, clock: Clock) -> int:
    last, days = clock.last_day, customer.order_days
    if customer.archetype == "lapsed":
        return min(last, days[-1] + rng.randint(0, 60))
    if customer.archetype == "one_off":
        return min(last, days[0] + rng.randint(30, 240))
    if customer.archetype == "prospect" and rng.random() < 0.5:
        return min(last, max(0, customer.signup_ts // DAY) + rng.randint(30, 365))
    return last


def make_customers(rng: random.Random, count: int, clock: Clock, used: set) -> list[Customer]:
    """Profiles, buying plans and signups; ids follow signup order like a real CRM."""
    archetypes = rng.choices(ARCHETYPES, weights=_ARCHETYPE_WEIGHTS, k=count)
    customers = [_make_profile(rng, archetype, clock, used) for archetype in archetypes]
    for customer in customers:
        customer.signup_ts = _signup_ts(rng, customer, clock)
        customer.active_to = _active_to(rng, customer, clock)
    customers.sort(key=lambda c: (c.signup_ts, c.email))
    for number, customer in enumerate(customers, 1):
        customer.customer_id = f"C{number:06d}"
    return customers


def customer_rows(customers: list[Customer], clock: Clock) -> list[list[str]]:
    """crm_customers rows, in the order of `contract.COLUMNS["crm_customers"]`."""
    return [
        [
            c.customer_id,
            c.email,
            c.first_name,
            c.last_name,
            c.birth_date,
            c.postcode,
            c.city,
            c.country,
            clock.ts(c.signup_ts),
            c.acquisition,
            flag(c.opt_in),
            flag(c.loyalty),
        ]
        for c in customers
    ]
