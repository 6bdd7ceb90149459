"""The code location: each module under `defs/` declares its own definitions."""

import dagster as dg

from .defs import automation, ingestion, propensity, publication, quality, scoring, survival
from .defs.resources import build_resources

defs = dg.Definitions.merge(
    ingestion.defs,
    scoring.defs,
    survival.defs,
    propensity.defs,
    quality.defs,
    publication.defs,
    automation.defs,
    dg.Definitions(resources=build_resources()),
)
