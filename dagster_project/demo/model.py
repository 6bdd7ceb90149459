"""The simulated business every generator shares: time, randomness, customers, orders.

Time is an integer number of seconds since midnight of the first data day (a `Clock`
turns it into text), so generators compare and sort timestamps cheaply. Randomness comes
in one independent stream per concern (`stream`), so a change in how one source is drawn
leaves the others' bytes alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

DAY = 86_400

ARCHETYPES = ("prospect", "loyal", "regular", "occasional", "one_off", "lapsed", "new")
CATEGORIES = {  # category: (min, max) unit price in EUR
    "apparel": (15, 120),
    "shoes": (40, 200),
    "accessories": (5, 80),
    "home": (10, 250),
    "beauty": (5, 60),
    "sports": (15, 300),
    "books": (5, 40),
    "electronics": (30, 400),
}
CATEGORY_NAMES = tuple(CATEGORIES)


def hour_pool(weights: dict[int, int]) -> tuple[int, ...]:
    """Hours repeated by weight, so `rng.choice` draws a realistic time of day."""
    return tuple(hour for hour, weight in weights.items() for _ in range(weight))


WEB_HOURS = hour_pool(
    {
        0: 1,
        1: 1,
        6: 1,
        7: 2,
        8: 3,
        9: 4,
        10: 4,
        11: 5,
        12: 6,
        13: 6,
        14: 5,
        15: 5,
        16: 5,
        17: 6,
        18: 7,
        19: 8,
        20: 9,
        21: 8,
        22: 5,
        23: 3,
    }
)


def stream(seed: int, name: str) -> random.Random:
    """An independent, reproducible stream per concern (string seeds hash with SHA-512)."""
    return random.Random(f"{seed}:{name}")


SEASON_MAX = 2.0


def season_weight(day: date) -> float:
    """Relative order intensity: Black Friday to Christmas, summer and winter sales."""
    month, dom = day.month, day.day
    if (month == 11 and dom >= 20) or (month == 12 and dom <= 24):
        return 2.0
    if (month == 6 and dom >= 20) or month == 7:
        return 1.6
    if (month == 1 and dom >= 8) or (month == 2 and dom <= 4):
        return 1.3
    return 1.0


class Clock:
    """Timestamps are int seconds since midnight of the first data day (may be negative)."""

    def __init__(self, end_date: date, days: int) -> None:
        self.start = end_date - timedelta(days=days - 1)
        self.days = days
        self.last_day = days - 1
        self.end_ts = days * DAY - 1
        self._dates: dict[int, str] = {}
        self.season = [season_weight(self.start + timedelta(days=d)) for d in range(days)]
        self.accept = sum(self.season) / days / SEASON_MAX

    def date(self, day: int) -> str:
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = (self.start + timedelta(days=day)).isoformat()
        return text

    def ts(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self.date(day)} {hour:02d}:{minute:02d}:{second:02d}"

    def month(self, seconds: int) -> str:
        return self.date(seconds // DAY)[:7]


def seasonal_day(rng: random.Random, clock: Clock, low: int, high: int) -> int:
    """A day in [low, high] drawn with the seasonal weights (rejection sampling)."""
    season = clock.season
    while True:
        day = rng.randint(low, high)
        if rng.random() * SEASON_MAX < season[day]:
            return day


@dataclass(slots=True)
class Customer:
    archetype: str
    first_name: str
    last_name: str
    email: str
    country: str
    city: str
    postcode: str
    birth_date: str
    acquisition: str
    opt_in: bool
    loyalty: bool
    channel: str  # preferred order channel
    favourites: tuple[str, ...]  # preferred categories
    app_user: bool
    order_days: list[int]
    signup_ts: int = 0
    active_to: int = 0  # last day with spontaneous web activity
    customer_id: str = ""
    orders: list[Order] = field(default_factory=list)


@dataclass(slots=True)
class Order:
    ts: int
    ref: str
    channel: str
    lines: list[tuple[tuple[str, str, int], int, int]]  # (product, quantity, discount cents)
    customer: Customer | None
    status: str = "completed"
    return_ts: int = -1
    return_line: int = -1
    order_id: str = ""


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def flag(value: bool) -> str:
    return "true" if value else "false"
