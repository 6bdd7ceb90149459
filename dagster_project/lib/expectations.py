"""Great Expectations suites (files in `expectations/`) validated against warehouse tables.

GX 1.x has no working DuckDB data source, so each suite's rows are read from DuckDB into
DataFrames and validated by an ephemeral, analytics-free context. A suite is a GX 1.x suite
JSON plus a `meta` block naming the asset it guards and the query that reads its rows.
Large query results are validated in batches (`expectation_batches.py`); this module says
which expectations allow that, validates one DataFrame, and merges per-batch results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
import yaml
from great_expectations.core import ExpectationSuite
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation_configuration import (
    ExpectationConfiguration,
)
from great_expectations.validator.v1_validator import Validator

PARAMETERS_FILE = "parameters.yml"

# Expectations whose verdict on a row depends on that row alone: validated batch by batch,
# their counts summed.
PER_ROW = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_match_like_pattern_list",
        "expect_column_values_to_not_match_like_pattern_list",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_dateutil_parseable",
        "expect_column_values_to_be_json_parseable",
        "expect_column_values_to_match_json_schema",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_in_set",
        "expect_multicolumn_sum_to_equal",
        "expect_select_column_values_to_be_unique_within_record",
    }
)
# Uniqueness, and the argument naming its columns: exact batch by batch when every batch
# holds all the rows of each value of those columns (batches cut by a hash of them).
UNIQUENESS = {
    "expect_column_values_to_be_unique": "column",
    "expect_compound_columns_to_be_unique": "column_list",
    "expect_multicolumn_values_to_be_unique": "column_list",
}
# Row counts: validated once, on a column-less frame with the query's number of rows.
ROW_COUNT = frozenset({"expect_table_row_count_to_equal", "expect_table_row_count_to_be_between"})
# Anything else (sums, means, distinct values, ...) needs the whole table in one frame.


@dataclass(frozen=True)
class SuiteFile:
    """One suite file: what it guards, how its rows are read, and its expectations."""

    name: str
    path: Path
    asset: tuple[str, ...]
    query: str
    description: str
    expectations: tuple[dict[str, Any], ...]
    # meta.one_batch: a small result (a summary) validated in one frame, so it may use
    # expectations that need the whole table; more rows than a batch is then an error.
    one_batch: bool = False
    # meta.new_rows: the query's column telling when each row was loaded. A run then
    # validates only the rows loaded after those the suite last passed on (the check keeps
    # that time), so a fact table's history is not validated again every run. Per-row
    # expectations only: uniqueness and row counts need every row.
    new_rows: str | None = None

    def sql(self, scoring_date: date, loaded_after: datetime | None = None) -> str:
        """The suite's query as of the date; with `loaded_after` (a `new_rows` suite),
        only the rows loaded after that time."""
        query = self.query.replace("{scoring_date}", scoring_date.isoformat())
        if loaded_after is None or self.new_rows is None:
            return query
        return (
            f"select * from ({query}) as suite_rows "
            f"where {self.new_rows} > timestamp '{loaded_after.isoformat(sep=' ')}'"
        )


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str  # critical | warning | info
    success: bool
    observed: Any = None
    failing_sample: list[Any] = field(default_factory=list)
    failing_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    expected: str | None = None

    def describe(self) -> str:
        """One line: the expectation, what was expected, what was seen and where."""
        if self.error:
            return f"{self.expectation}: could not run: {self.error}"
        head = self.expectation + (f" on {self.column}" if self.column else "")
        parts = []
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.observed is not None:
            observed = self.observed
            parts.append(
                f"observed {round(observed, 4) if isinstance(observed, float) else observed!r}"
            )
        if self.failing_rows:
            parts.append("failing rows e.g. " + "; ".join(map(_row_text, self.failing_rows[:3])))
        elif self.failing_sample:
            parts.append(f"failing values e.g. {self.failing_sample[:5]!r}")
        return f"{head}: {', '.join(parts)}" if parts else head


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome]
    batches: int = 1  # the most DataFrames one pass over the rows took
    largest_batch: int | None = None  # rows of the largest of them (None: not batched)
    loaded_through: datetime | None = None  # the latest load time of the rows (new_rows)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failures if o.severity == "critical"]


def load_parameters(directory: Path) -> dict[str, Any]:
    """Tunable limits used by suites (`expectations/parameters.yml`)."""
    path = directory / PARAMETERS_FILE
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def load_suites(directory: Path) -> list[SuiteFile]:
    """Every `*.json` suite in the folder, checked to be well formed."""
    suites = []
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        meta = document.get("meta") or {}
        missing = [k for k in ("asset", "query") if k not in meta]
        if missing or not document.get("expectations"):
            raise ValueError(f"{path}: a suite needs meta.asset, meta.query and expectations")
        suite = SuiteFile(
            name=document["name"],
            path=path,
            asset=tuple(meta["asset"].split("/")),
            query=meta["query"],
            description=meta.get("description", ""),
            expectations=tuple(document["expectations"]),
            one_batch=bool(meta.get("one_batch", False)),
            new_rows=meta.get("new_rows"),
        )
        check_batchable(suite)
        check_new_rows(suite)
        suites.append(suite)
    return suites


def unique_key(expectation: dict[str, Any]) -> tuple[str, ...] | None:
    """The columns a uniqueness expectation is about (None for any other expectation)."""
    argument = UNIQUENESS.get(expectation.get("type", ""))
    if argument is None:
        return None
    columns = (expectation.get("kwargs") or {}).get(argument)
    return tuple(columns) if isinstance(columns, list) else (columns,)


def needs_whole_table(expectation: dict[str, Any]) -> bool:
    kind = expectation.get("type", "")
    return kind not in PER_ROW and kind not in UNIQUENESS and kind not in ROW_COUNT


def check_batchable(suite: SuiteFile) -> None:
    """Refuse a suite that batches could not validate exactly (unless it is one batch)."""
    if suite.one_batch:
        return
    whole = sorted({e.get("type", "?") for e in suite.expectations if needs_whole_table(e)})
    if whole:
        raise ValueError(
            f"{suite.path}: {', '.join(whole)} needs the whole table at once, but this suite "
            "is validated in batches (SCORING_GX_BATCH_ROWS rows at most). Compute the "
            "aggregate in the suite's query, one row per group, and check that row (as "
            "transactions_freshness.json does), or, if the query returns a few rows, set "
            '"one_batch": true in the suite\'s meta.'
        )


def check_new_rows(suite: SuiteFile) -> None:
    """Refuse a suite that validates new rows only but holds an expectation that is not
    per-row (uniqueness, row counts, an aggregate of a one_batch suite): it needs every row."""
    whole = sorted(e["type"] for e in suite.expectations if e["type"] not in PER_ROW)
    if suite.new_rows and whole:
        raise ValueError(
            f"{suite.path}: {', '.join(whole)} needs every row, but meta.new_rows validates "
            "only the rows loaded since the last passed run: remove new_rows or the expectation."
        )


def build_suite(
    suite: SuiteFile, expectations: tuple[dict[str, Any], ...] | None = None
) -> ExpectationSuite:
    """The GX suite of the file's expectations (or of some of them); fails if any expectation
    was not kept (GX can drop them)."""
    chosen = suite.expectations if expectations is None else expectations
    gx_suite = ExpectationSuite(name=suite.name)
    for raw in chosen:
        config = {k: v for k, v in raw.items() if k in ("type", "kwargs", "meta", "severity")}
        try:
            gx_suite.add_expectation_configuration(ExpectationConfiguration(**config))
        except Exception as exc:  # GX raises several types for a bad expectation
            raise ValueError(f"{suite.path}: expectation {raw.get('type')!r}: {exc}") from None
    if len(gx_suite.expectations) != len(chosen):
        raise ValueError(
            f"{suite.path}: {len(chosen)} expectations in the file but "
            f"{len(gx_suite.expectations)} loaded"
        )
    return gx_suite


def validate(suite: SuiteFile, frame: Any, parameters: dict[str, Any]) -> SuiteOutcome:
    """Validate a DataFrame against a suite; every expectation gets an outcome."""
    tallies = FrameValidator(suite, parameters).tallies(suite.expectations, frame)
    outcomes = [outcome(t, parameters, lambda ids: rows_at(frame, ids)) for t in tallies]
    return SuiteOutcome(suite.name, len(frame), outcomes)


# How many failing values and row ids a result keeps (GX's SUMMARY keeps 20).
PARTIAL = 20
# Where an expectation stands in its suite, kept in its meta to match GX's results to it.
POSITION = "position_in_suite"


@dataclass
class Tally:
    """One expectation's result on one DataFrame, or summed over the batches of a query."""

    config: ExpectationConfiguration
    success: bool
    elements: int = 0  # rows seen
    considered: int = 0  # rows judged (GX leaves out nulls, and rows a condition filters)
    unexpected: int | None = None
    observed: Any = None
    sample: list[Any] = field(default_factory=list)
    row_ids: list[Any] = field(default_factory=list)  # the frame's index of failing rows
    error: str | None = None

    @classmethod
    def of(cls, item: Any) -> Tally:
        """From a GX result in the BASIC or SUMMARY format."""
        raised = item.exception_info.get("raised_exception") if item.exception_info else False
        result = item.result or {}
        elements = result.get("element_count") or 0
        return cls(
            config=item.expectation_config,
            success=bool(item.success) and not raised,
            elements=elements,
            considered=elements - (result.get("missing_count") or 0),
            unexpected=result.get("unexpected_count"),
            observed=result.get("observed_value"),
            sample=list(result.get("partial_unexpected_list") or []),
            row_ids=list(result.get("partial_unexpected_index_list") or []),
            error=item.exception_info.get("exception_message") if raised else None,
        )


def merge(tallies: list[Tally], parameters: dict[str, Any]) -> Tally:
    """One expectation's results over disjoint batches as one result.

    Counts add up; success is GX's rule for map expectations on the sums (vacuously true
    without rows to judge, else the share of expected rows at least `mostly`), so it is the
    verdict GX gives on the whole table. A single batch is GX's result unchanged. Failing
    values are kept with their row ids, lowest ids first: the ones GX shows for the whole
    table when each batch lists its rows in the table's order.
    """
    if len(tallies) == 1:
        return tallies[0]
    first = tallies[0]
    elements = sum(t.elements for t in tallies)
    considered = sum(t.considered for t in tallies)
    counts = [t.unexpected for t in tallies if t.unexpected is not None]
    unexpected = sum(counts) if counts else None
    error = next((t.error for t in tallies if t.error), None)
    if error:
        success = False
    elif unexpected is None or elements == 0 or considered == 0:
        success = True
    else:
        mostly = _value(first.config.kwargs, "mostly", parameters)
        success = (considered - unexpected) / considered >= (1 if mostly is None else mostly)
    if all(len(t.sample) == len(t.row_ids) for t in tallies):
        pairs = (pair for t in tallies for pair in zip(t.row_ids, t.sample, strict=True))
        failing = sorted(pairs, key=lambda pair: pair[0])
        row_ids, sample = [i for i, _ in failing], [v for _, v in failing]
    else:
        row_ids = [i for t in tallies for i in t.row_ids]
        sample = [v for t in tallies for v in t.sample]
    return Tally(
        config=first.config,
        success=success,
        elements=elements,
        considered=considered,
        unexpected=unexpected,
        observed=next((t.observed for t in tallies if t.observed is not None), None),
        sample=sample[:PARTIAL],
        row_ids=row_ids[:PARTIAL],
        error=error,
    )


def outcome(
    tally: Tally,
    parameters: dict[str, Any],
    rows_of: Callable[[list[Any]], list[dict[str, Any]]],
) -> ExpectationOutcome:
    """What a person reads; `rows_of` turns the first failing row ids into whole rows."""
    config = tally.config
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column"),
        severity=str(getattr(config.severity, "value", config.severity) or "critical"),
        success=tally.success,
        observed=_plain(tally.observed),
        failing_sample=[_plain(v) for v in tally.sample],
        failing_rows=rows_of(tally.row_ids[:5]) if tally.row_ids else [],
        error=tally.error,
        expected=_expected(config.kwargs, parameters),
    )


class FrameValidator:
    """GX on DataFrames for one suite: one ephemeral context, reused batch after batch."""

    def __init__(self, suite: SuiteFile, parameters: dict[str, Any]) -> None:
        self.suite = suite
        self.parameters = parameters
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False}
        # GX 1.24 has no analytics client left; the context says so too, whatever the version.
        context.variables.analytics_enabled = False
        self.batch_definition = (
            context.data_sources.add_pandas(f"{suite.name}_source")
            .add_dataframe_asset(suite.name)
            .add_batch_definition_whole_dataframe("whole")
        )
        self._suites: dict[tuple[int, ...], ExpectationSuite] = {}

    def tallies(self, expectations: tuple[dict[str, Any], ...], frame: Any) -> list[Tally]:
        """One result per expectation, in their order (GX returns them in its own).

        Counts first (GX's BASIC format); the expectations that found unexpected rows are
        validated again for their failing values and row positions (SUMMARY): on clean
        data GX skips listing the positions, a sixth of its time, for the same verdicts.
        """
        tallies = self._validate(expectations, frame, "BASIC")
        failing = [n for n, tally in enumerate(tallies) if tally.unexpected]
        if failing:
            detailed = self._validate(tuple(expectations[n] for n in failing), frame, "SUMMARY")
            for n, tally in zip(failing, detailed, strict=True):
                tallies[n] = tally
        return tallies

    def _validate(
        self, expectations: tuple[dict[str, Any], ...], frame: Any, result_format: str
    ) -> list[Tally]:
        key = tuple(map(id, expectations))
        if key not in self._suites:
            tagged = tuple(
                {**e, "meta": {**(e.get("meta") or {}), POSITION: n}}
                for n, e in enumerate(expectations)
            )
            self._suites[key] = build_suite(self.suite, tagged)
        # The validator reads the frame once (Batch.validate would read and fingerprint it
        # twice).
        validator = Validator(
            batch_definition=self.batch_definition,
            batch_parameters={"dataframe": frame},
            result_format=result_format,
        )
        with _without_fingerprint():
            result = validator.validate_expectation_suite(
                self._suites[key], expectation_parameters=self.parameters
            )
        ordered = sorted(result.results, key=lambda item: item.expectation_config.meta[POSITION])
        return [Tally.of(item) for item in ordered]


@contextmanager
def _without_fingerprint() -> Iterator[None]:
    """GX fingerprints every DataFrame under 1 GB (an md5 over pandas' hash of every value,
    a third of a check's time) for a batch marker nothing here reads: not while we validate.
    Verdicts do not depend on it."""
    saved = pandas_execution_engine.HASH_THRESHOLD
    pandas_execution_engine.HASH_THRESHOLD = 0  # a frame's size is never below 0 bytes
    try:
        yield
    finally:
        pandas_execution_engine.HASH_THRESHOLD = saved


def _value(kwargs: dict[str, Any], name: str, parameters: dict[str, Any]) -> Any:
    """An argument of an expectation, {"$PARAMETER": name} filled in."""
    raw = kwargs.get(name)
    return parameters.get(raw["$PARAMETER"]) if isinstance(raw, dict) else raw


def _expected(kwargs: dict[str, Any], parameters: dict[str, Any]) -> str | None:
    """The expectation's bounds or set in words, with parameters filled in."""

    def value(name: str) -> Any:
        return _value(kwargs, name, parameters)

    low, high = value("min_value"), value("max_value")
    if low is not None or high is not None:
        return f"{'' if low is None else low} to {'' if high is None else high}".strip()
    if kwargs.get("value_set") is not None:
        values = list(value("value_set") or [])
        return f"one of {', '.join(map(str, values[:12]))}{', ...' if len(values) > 12 else ''}"
    return None


def rows_at(frame: Any, index: list | None) -> list[dict[str, Any]]:
    """A few whole failing rows (GX gives their labels in the DataFrame's index)."""
    records = frame.loc[(index or [])[:5]].to_dict("records")
    return [{column: _plain(value) for column, value in row.items()} for row in records]


def _row_text(row: dict[str, Any]) -> str:
    values = (f"{k}={round(v, 4) if isinstance(v, float) else v}" for k, v in row.items())
    return "(" + ", ".join(values) + ")"


def _plain(value: Any) -> Any:
    """A JSON-friendly value for check metadata."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
