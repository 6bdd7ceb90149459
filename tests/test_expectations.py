"""The Great Expectations runner: real GX validations of small DataFrames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dagster_project import settings
from dagster_project.lib import expectations


def suite(*items: dict) -> expectations.SuiteFile:
    return expectations.SuiteFile(
        name="t", path=Path("t.json"), asset=("t",), query="", description="", expectations=items
    )


def test_failures_name_the_limit_and_show_whole_failing_rows() -> None:
    frame = pd.DataFrame({"source": ["a", "b", "c"], "share": [0.01, 0.5, 0.02]})
    outcome = expectations.validate(
        suite(
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "share", "min_value": 0, "max_value": {"$PARAMETER": "m"}},
                "severity": "critical",
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "source", "value_set": ["a", "b"]},
                "severity": "warning",
            },
        ),
        frame,
        {"m": 0.05},
    )
    bound, in_set = outcome.outcomes
    assert bound.failing_rows == [{"source": "b", "share": 0.5}]
    assert bound.describe() == (
        "expect_column_values_to_be_between on share: expected 0.0 to 0.05, "
        "failing rows e.g. (source=b, share=0.5)"
    )
    assert in_set.severity == "warning" and in_set.failing_rows == [{"source": "c", "share": 0.02}]
    assert [o.expectation for o in outcome.blocking_failures] == [bound.expectation]


def test_a_mistyped_expectation_is_an_error_not_a_silent_drop() -> None:
    with pytest.raises(ValueError, match="expect_column_to_be_nice"):
        expectations.build_suite(suite({"type": "expect_column_to_be_nice", "kwargs": {}}))


def test_every_suite_file_loads_with_all_its_expectations() -> None:
    suites = expectations.load_suites(settings.EXPECTATIONS_DIR)
    assert {s.name for s in suites} >= {"load_quality", "customer_scores", "segment_summary"}
    for item in suites:
        assert len(expectations.build_suite(item).expectations) == len(item.expectations) > 0
