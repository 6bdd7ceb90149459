"""The code location: each module under `defs/` declares its own definitions."""

import dagster as dg

from .defs import (
    automation,
    ingestion,
    prediction,
    propensity,
    publication,
    quality,
    report,
    scoring,
    survival,
)
from .defs.resources import build_resources

defs = dg.Definitions.merge(
    ingestion.defs,
    scoring.defs,
    prediction.defs,
    survival.defs,
    propensity.defs,
    quality.defs,
    publication.defs,
    report.defs,
    automation.defs,
    dg.Definitions(resources=build_resources()),
)
