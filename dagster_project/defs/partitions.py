"""Scoring dates as daily partitions: the partition key is the dbt `scoring_date`.

A partition's scores use only facts strictly before its date, so today's partition
exists (end_offset=1) and scores everything up to yesterday.
"""

import dagster as dg

from ..settings import TIMEZONE

scoring_dates = dg.DailyPartitionsDefinition(
    start_date="2020-01-01", timezone=TIMEZONE, end_offset=1
)

# dbt takes one scoring_date per invocation: every partitioned asset backfills one date per
# run (dagster-dbt's default for daily partitions would be one run for the whole range).
one_date_per_run = dg.BackfillPolicy.multi_run(1)
