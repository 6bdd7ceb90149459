"""Scoring dates as daily partitions: the partition key is the dbt `scoring_date`.

A partition's scores use only facts strictly before its date, so today's partition
exists (end_offset=1) and scores everything up to yesterday. The first partition is the
setting `SCORING_FIRST_DATE` (default 1900-01-01), so years of history can be backfilled.
"""

import warnings
from datetime import date

import dagster as dg

from ..settings import FIRST_SCORING_DATE_VARIABLE, TIMEZONE, first_scoring_date

scoring_dates = dg.DailyPartitionsDefinition(
    start_date=first_scoring_date().isoformat(), timezone=TIMEZONE, end_offset=1
)

# dbt takes one scoring_date per invocation: every partitioned asset backfills one date per
# run (dagster-dbt's default for daily partitions would be one run for the whole range).
one_date_per_run = dg.BackfillPolicy.multi_run(1)
# `backfill_policy` on @asset is a beta parameter in Dagster 1.13, used knowingly: without it
# on every partitioned asset, each job warns that its assets' policies differ.
warnings.filterwarnings(  # noqa: TID251
    "ignore", message="Parameter `backfill_policy` of function `asset`", category=dg.BetaWarning
)


def out_of_range(scoring_date: date) -> str | None:
    """One line saying why a scoring date has no partition, and what to change; else None."""
    first = date.fromisoformat(scoring_dates.get_first_partition_key())
    last = date.fromisoformat(scoring_dates.get_last_partition_key())
    if scoring_date < first:
        return (
            f"Scoring date {scoring_date} is before the first scoring date {first}: set "
            f"{FIRST_SCORING_DATE_VARIABLE}={scoring_date} (or earlier) to score it."
        )
    if scoring_date > last:
        return (
            f"Scoring date {scoring_date} is after today ({last}, {TIMEZONE}): scores are as "
            "of a day that has begun; choose a date up to today."
        )
    return None
