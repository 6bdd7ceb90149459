"""The code location: each module under `defs/` declares its own definitions; the one
configuration (`ScoringSettings`) is read from the environment here, once."""

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
from .defs.resources import ScoringSettings, build_resources

scoring_settings = ScoringSettings.from_environment()

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
    dg.Definitions(resources=build_resources(scoring_settings)),
)
