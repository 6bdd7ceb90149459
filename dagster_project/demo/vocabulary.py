"""The demo's word lists (people, places, web pages, campaigns, CRM notes), read from the
data files in `words/`.

Why data files: the lists are content, not logic; kept out of the code, they can be read,
extended or translated without touching a generator. Order and repetitions matter (draws
pick by position, a `weight` column repeats an entry so it is drawn more often), so the
loaders keep rows in file order: the same files give the same demo data.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib.resources import files

_WORDS = files(__package__) / "words"


def _lines(name: str) -> tuple[str, ...]:
    """One entry per non-empty line of a `.txt` file."""
    text = (_WORDS / name).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of a `.csv` file with a header, in file order."""
    text = (_WORDS / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _by_country(name: str, column: str) -> dict[str, tuple[str, ...]]:
    """`column` per country, each entry repeated `weight` times when there is a weight."""
    lists: dict[str, list[str]] = {}
    for row in _rows(name):
        lists.setdefault(row["country"], []).extend([row[column]] * int(row.get("weight", 1)))
    return {country: tuple(values) for country, values in lists.items()}


@cache
def names() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """country: (first names, last names)."""
    firsts = _by_country("first_names.csv", "first_name")
    lasts = _by_country("last_names.csv", "last_name")
    return {country: (firsts[country], lasts[country]) for country in firsts}


@cache
def cities() -> dict[str, tuple[tuple[str, int, int], ...]]:
    """country: ((city, lowest postcode, highest postcode), ...); not GB, see `gb_cities`."""
    lists: dict[str, list[tuple[str, int, int]]] = {}
    for row in _rows("cities.csv"):
        city = (row["city"], int(row["lowest_postcode"]), int(row["highest_postcode"]))
        lists.setdefault(row["country"], []).extend([city] * int(row["weight"]))
    return {country: tuple(values) for country, values in lists.items()}


@cache
def gb_cities() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """((city, its postcode outward codes), ...): British postcodes are not numbers."""
    areas: dict[str, list[str]] = {}
    for row in _rows("gb_postcode_areas.csv"):
        areas.setdefault(row["city"], []).append(row["outward_code"])
    return tuple((city, tuple(codes)) for city, codes in areas.items())


@cache
def email_domains() -> dict[str, tuple[str, ...]]:
    """country: e-mail domains, repeated by how common they are."""
    return _by_country("email_domains.csv", "domain")


@cache
def offers() -> dict[str, float]:
    """offer: reaction, how much more (or less) than usual the offer makes people buy."""
    return {row["offer"]: float(row["reaction"]) for row in _rows("offers.csv")}


@cache
def note_templates() -> dict[str, tuple[str, ...]]:
    """note kind: templates (with `{n}` and `{category}` placeholders)."""
    templates: dict[str, list[str]] = {}
    for row in _rows("note_templates.csv"):
        templates.setdefault(row["kind"], []).append(row["template"])
    return {kind: tuple(values) for kind, values in templates.items()}


@cache
def note_prefixes() -> tuple[str, ...]:
    """How staff start a note ("Appel : ", "Chat: "...). The file has no trailing spaces,
    which editors strip: the separating space is added here."""
    return tuple(f"{prefix} " for prefix in _lines("note_prefixes.txt"))


@cache
def words(name: str) -> tuple[str, ...]:
    """A plain list: blog_slugs, webinars, form_urls, campaign_themes (January first),
    authors."""
    return _lines(f"{name}.txt")
