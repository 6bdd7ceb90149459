"""The code location: each module under `defs/` declares its own definitions."""

import dagster as dg

from .defs import automation, ingestion, prediction, publication, quality, report, scoring
from .defs.resources import build_resources

defs = dg.Definitions.merge(
    ingestion.defs,
    scoring.defs,
    prediction.defs,
    quality.defs,
    publication.defs,
    report.defs,
    automation.defs,
    dg.Definitions(resources=build_resources()),
)
