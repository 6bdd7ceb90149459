"""Demo data for the landing sources: `generate(out_dir, customers, seed, end_date=...)`
writes every source the canonical contract knows, the same bytes for the same arguments.

`python -m dagster_project.demo --out data/landing` does the same from a shell. The
modules: `generator` (the entry point), one module per source (`customers`,
`transactions`, `campaigns`, `interactions`, `notes`, `invoices`), `model` (time,
randomness, customers and orders shared by them), `vocabulary` (the word lists in
`words/`), `contract` (columns from `lib/canonical.py`), `faults` and `landing` (writing).
"""

from .contract import (
    ACQUISITION_CHANNELS,
    CAMPAIGN_CHANNELS,
    COLUMNS,
    EVENT_CHANNELS,
    ORDER_CHANNELS,
    SOURCES,
)
from .faults import FAULT_KINDS
from .generator import generate
from .landing import GenerationReport

__all__ = [
    "ACQUISITION_CHANNELS",
    "CAMPAIGN_CHANNELS",
    "COLUMNS",
    "EVENT_CHANNELS",
    "FAULT_KINDS",
    "ORDER_CHANNELS",
    "SOURCES",
    "GenerationReport",
    "generate",
]
