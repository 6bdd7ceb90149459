"""The Great Expectations runner: real GX validations of small DataFrames; the suites."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dagster_project import settings
from dagster_project.defs.dbt_project import dbt_project
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


# GX expectations that state what a dbt generic test states, per test name.
SAME_AS_DBT = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_unique": "unique",
    "expect_compound_columns_to_be_unique": "unique",
    "expect_column_values_to_be_in_set": "accepted",
    "expect_column_values_to_be_between": "range",
}


def _bounds(low, low_inclusive, high, high_inclusive) -> tuple:
    """A range as (min, min strict, max, max strict), a missing bound never strict; a
    bound given by a suite parameter is named, never equal to a number."""
    low, high = (json.dumps(b) if isinstance(b, dict) else b for b in (low, high))
    return (
        low,
        low is not None and not low_inclusive,
        high,
        high is not None and not high_inclusive,
    )


def dbt_rules() -> set[tuple]:
    """(model, rule, columns, bounds) of every dbt test stating one rule on one model's
    columns: `unique` on several columns is written `a || '|' || b`; `not_null_columns`
    states not_null of each column, `value_ranges` a range of each (bounds compared: a
    suite may hold a stricter one), `accepted_in_contract` and `accepted_values` the
    accepted values of a column."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    found = set()
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        model = node["attached_node"].split(".")[-1]
        kwargs = test.get("kwargs", {})
        if test.get("name") == "not_null_columns":
            found |= {(model, "not_null", (c,), None) for c in kwargs["columns"]}
        elif test.get("name") == "value_ranges":
            found |= {
                (model, "range", (c,), _bounds(
                    b.get("min_value"), b.get("min_inclusive", True),
                    b.get("max_value"), b.get("max_inclusive", True),
                ))
                for c, b in kwargs["columns"].items()
            }  # fmt: skip
        elif test.get("name") in ("accepted_in_contract", "accepted_values"):
            found.add((model, "accepted", (kwargs["column_name"],), None))
        elif test.get("name") in ("not_null", "unique"):
            parts = re.split(r"\|\|", kwargs.get("column_name") or "")
            columns = tuple(p.strip(" '|") for p in parts if p.strip(" '|"))
            found.add((model, test["name"], columns, None))
    return found


def test_no_suite_repeats_a_dbt_test_of_its_model() -> None:
    """Each rule is checked once: a key, a range or a list of values that dbt tests in SQL
    on every row is not checked again in pandas (the same rule twice cost the fact tables'
    suites 40 % of their time). The suites check what dbt does not: dates against the
    load, plausibility warnings, totals across models."""
    tested = dbt_rules()
    assert ("stg_transactions", "unique", ("order_id", "order_line"), None) in tested
    assert ("stg_transactions", "not_null", ("order_date",), None) in tested
    assert ("stg_transactions", "accepted", ("status",), None) in tested
    assert ("stg_transactions", "range", ("quantity",), (0, True, None, False)) in tested
    assert ("customer_scores", "range", ("score_0_100",), (0, False, 100, False)) in tested
    repeated = []
    for item in expectations.load_suites(settings.EXPECTATIONS_DIR):
        for expectation in item.expectations:
            kwargs = expectation["kwargs"]
            rule = SAME_AS_DBT.get(expectation["type"])
            if rule is None or "mostly" in kwargs:
                continue
            columns = tuple(kwargs.get("column_list") or [kwargs["column"]])
            bounds = (
                _bounds(
                    kwargs.get("min_value"), not kwargs.get("strict_min"),
                    kwargs.get("max_value"), not kwargs.get("strict_max"),
                )
                if rule == "range"
                else None
            )  # fmt: skip
            if (item.asset[-1], rule, columns, bounds) in tested:
                repeated.append(f"{item.name}: {rule} {columns}")
    assert not repeated
