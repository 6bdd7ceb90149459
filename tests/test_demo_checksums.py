"""The demo generator's bytes are pinned: same arguments, same files, release after release.

Tests, benchmarks and the README's numbers rely on the demo data being exactly what it was;
a refactoring of the generator must not move a byte. A deliberate change to the generated
data updates the digests below in the same commit (print them with `_digests`) and says why.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path

from dagster_project.demo import SOURCES, generate

ROOT = Path(__file__).resolve().parents[1]

# 200 customers over 400 days (two winters, so drifting payers and seasons show) with 5%
# faults, so every generator and every fault kind contributes.
ARGUMENTS = {
    "customers": 200,
    "seed": 11,
    "end_date": date(2026, 2, 28),
    "days": 400,
    "dirty_rate": 0.05,
}
DIGESTS = {
    "transactions": "c2f4bad7f467644c1460c908556edf1187c4c32923481fcf4f4d6f919b456110",
    "interactions": "3726d34014c0da1c477374e3fda220aa661f3bc946289fb1e15a0eb8bda3cf1b",
    "crm_customers": "884bd13e743de990ea5d810fd574ead01bcfc07eaf1bfe80475d109c48bfd884",
    "crm_notes": "76e101e32f4f364254c6379e1a3ee8d8c21028f796d6339c2dccd9e253a46d1d",
    "campaigns": "afd1b0ae4d69219c1a2f1ae222ca168f1556416207c08d53adc7d0793c7fb902",
    "campaign_contacts": "b9cea037ba950790945bcc656862033dfade6dcc569463e72f111e2eeaa54ef8",
    "invoices": "8005a3a7b2aee40b18d875d09c909024025b6db326d0a882696213f64da2e76a",
    # The ground truth returned beside the files (payment behaviours, true uplifts).
    "report": "74ba45c396ef7d69c32964e97011e66c3f88b72b0e4196199bbad6812d119b0f",
}


def _digests(out_dir: Path) -> dict[str, str]:
    """sha256 per source over its files' names and bytes, and of the report."""
    report = generate(out_dir, **ARGUMENTS)
    digests = {}
    for source in SOURCES:
        digest = hashlib.sha256()
        for path in sorted((out_dir / source).glob("*.csv")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        digests[source] = digest.hexdigest()
    text = json.dumps(report.as_dict(), sort_keys=True)
    digests["report"] = hashlib.sha256(text.encode()).hexdigest()
    return digests


def test_generated_files_match_the_pinned_digests(tmp_path):
    assert _digests(tmp_path) == DIGESTS


def test_every_word_list_ships_with_the_package():
    """The word lists are read with importlib.resources: a file that pyproject's
    package-data does not name works from the checkout and is missing once installed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["dagster_project.demo"]
    words = ROOT / "dagster_project" / "demo" / "words"
    files = sorted(p.relative_to(words.parent).as_posix() for p in words.iterdir())
    assert len(files) >= 10
    unshipped = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert unshipped == []
