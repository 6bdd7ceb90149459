"""Values handed to one dbt invocation through its environment.

dagster-dbt starts `dbt` with a copy of this process's environment and offers no other way
to add a variable. The scoring date travels this way rather than as `--vars`: dbt hashes
the command-line vars and re-parses the whole project when they change, while an
environment variable read only at execution (see dbt/macros/scoring_date.sql) leaves
partial parsing intact from one scoring date to the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

SCORING_DATE_VARIABLE = "SCORING_DATE"


@contextmanager
def dbt_environment(**values: str) -> Iterator[None]:
    """Set `values` while dbt is started inside the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
