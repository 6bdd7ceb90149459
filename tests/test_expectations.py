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
}


def dbt_key_tests() -> set[tuple[str, str, tuple[str, ...]]]:
    """(model, not_null or unique, columns) of every such dbt test: `unique` on several
    columns is written `a || '|' || b`; `not_null_columns` states not_null of each column."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    found = set()
    for node in manifest["nodes"].values():
        test = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        model = node["attached_node"].split(".")[-1]
        if test.get("name") == "not_null_columns":
            found |= {(model, "not_null", (c,)) for c in test["kwargs"]["columns"]}
        elif test.get("name") in ("not_null", "unique"):
            parts = re.split(r"\|\|", test["kwargs"].get("column_name") or "")
            columns = tuple(p.strip(" '|") for p in parts if p.strip(" '|"))
            found.add((model, test["name"], columns))
    return found


def test_no_suite_repeats_a_dbt_test_of_its_model() -> None:
    """Each rule is checked once: a null or repeated key that dbt tests in SQL is not
    checked again in pandas (the same rule twice cost the fact tables' suites 40 % of their
    time)."""
    tested = dbt_key_tests()
    assert ("stg_transactions", "unique", ("order_id", "order_line")) in tested
    assert ("stg_transactions", "not_null", ("order_date",)) in tested
    repeated = []
    for item in expectations.load_suites(settings.EXPECTATIONS_DIR):
        for expectation in item.expectations:
            kwargs = expectation["kwargs"]
            kind = SAME_AS_DBT.get(expectation["type"])
            if kind is None or "mostly" in kwargs:
                continue
            columns = tuple(kwargs.get("column_list") or [kwargs["column"]])
            if (item.asset[-1], kind, columns) in tested:
                repeated.append(f"{item.name}: {kind} {columns}")
    assert not repeated
