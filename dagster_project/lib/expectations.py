"""Great Expectations suites (files in `expectations/`) validated against warehouse tables.

GX 1.x has no working DuckDB data source, so each suite's rows are read from DuckDB into a
DataFrame and validated by an ephemeral, analytics-free context. A suite is a GX 1.x suite
JSON plus a `meta` block naming the asset it guards and the query that reads its rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import great_expectations as gx
import yaml
from great_expectations.core import ExpectationSuite
from great_expectations.expectations.expectation_configuration import (
    ExpectationConfiguration,
)

PARAMETERS_FILE = "parameters.yml"


@dataclass(frozen=True)
class SuiteFile:
    """One suite file: what it guards, how its rows are read, and its expectations."""

    name: str
    path: Path
    asset: tuple[str, ...]
    query: str
    description: str
    expectations: tuple[dict[str, Any], ...]

    def sql(self, scoring_date: date) -> str:
        return self.query.replace("{scoring_date}", scoring_date.isoformat())


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
        suites.append(
            SuiteFile(
                name=document["name"],
                path=path,
                asset=tuple(meta["asset"].split("/")),
                query=meta["query"],
                description=meta.get("description", ""),
                expectations=tuple(document["expectations"]),
            )
        )
    return suites


def build_suite(suite: SuiteFile) -> ExpectationSuite:
    """The GX suite; fails if any expectation in the file was not kept (GX can drop them)."""
    gx_suite = ExpectationSuite(name=suite.name)
    for raw in suite.expectations:
        config = {k: v for k, v in raw.items() if k in ("type", "kwargs", "meta", "severity")}
        try:
            gx_suite.add_expectation_configuration(ExpectationConfiguration(**config))
        except Exception as exc:  # GX raises several types for a bad expectation
            raise ValueError(f"{suite.path}: expectation {raw.get('type')!r}: {exc}") from None
    if len(gx_suite.expectations) != len(suite.expectations):
        raise ValueError(
            f"{suite.path}: {len(suite.expectations)} expectations in the file but "
            f"{len(gx_suite.expectations)} loaded"
        )
    return gx_suite


def validate(suite: SuiteFile, frame: Any, parameters: dict[str, Any]) -> SuiteOutcome:
    """Validate a DataFrame against a suite; every expectation gets an outcome."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    # GX 1.24 has no analytics client left; the context says so too, whatever the version.
    context.variables.analytics_enabled = False
    batch = (
        context.data_sources.add_pandas(f"{suite.name}_source")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        build_suite(suite), expectation_parameters=parameters, result_format="SUMMARY"
    )
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        raised = item.exception_info.get("raised_exception") if item.exception_info else False
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column"),
                severity=str(getattr(config.severity, "value", config.severity) or "critical"),
                success=bool(item.success) and not raised,
                observed=_plain(item.result.get("observed_value")),
                failing_sample=[
                    _plain(v) for v in item.result.get("partial_unexpected_list") or []
                ],
                failing_rows=_rows(frame, item.result.get("partial_unexpected_index_list")),
                error=item.exception_info.get("exception_message") if raised else None,
                expected=_expected(config.kwargs, parameters),
            )
        )
    return SuiteOutcome(suite.name, len(frame), outcomes)


def _expected(kwargs: dict[str, Any], parameters: dict[str, Any]) -> str | None:
    """The expectation's bounds or set in words, with parameters filled in."""

    def value(name: str) -> Any:
        raw = kwargs.get(name)
        return parameters.get(raw["$PARAMETER"]) if isinstance(raw, dict) else raw

    low, high = value("min_value"), value("max_value")
    if low is not None or high is not None:
        return f"{'' if low is None else low} to {'' if high is None else high}".strip()
    if kwargs.get("value_set") is not None:
        values = list(value("value_set") or [])
        return f"one of {', '.join(map(str, values[:12]))}{', ...' if len(values) > 12 else ''}"
    return None


def _rows(frame: Any, index: list | None) -> list[dict[str, Any]]:
    """A few whole failing rows (GX gives their positions in the DataFrame)."""
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
