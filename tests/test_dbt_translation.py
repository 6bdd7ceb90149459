"""How dbt's project appears in Dagster: owners from dbt meta, a description for every check,
and each check's result filed under its scoring date."""

from __future__ import annotations

from conftest import SCORING_DATE, PipelineRun


def test_owners_come_from_dbt_meta_per_folder() -> None:
    from dagster_project.defs.scoring import scoring_models

    owners = {spec.key.to_user_string(): spec.owners for spec in scoring_models.specs}
    assert owners["staging/stg_transactions"] == ["team:data-engineering"]
    assert owners["quality/load_quality"] == ["team:data-engineering"]
    assert owners["marts/customer_scores"] == ["team:marketing-analytics"]
    assert owners["scoring_rules/behaviour_points"] == ["team:marketing-analytics"]


def test_every_dbt_check_says_what_it_checks() -> None:
    from dagster_project.defs.scoring import scoring_models

    descriptions = {spec.name: spec.description for spec in scoring_models.check_specs}
    assert all(descriptions.values()), [name for name, text in descriptions.items() if not text]
    # A singular test is described by its leading comment, a generic one by its arguments.
    assert descriptions["assert_no_fact_on_or_after_scoring_date"].startswith(
        "Scores are as of the scoring date: no order, event or note"
    )
    lifecycle = next(
        name
        for name in descriptions
        if name.endswith("lifecycle_stage__prospect__new__active__lapsing__churned")
    )
    assert descriptions[lifecycle] == (
        "dbt test accepted_values on lifecycle_stage "
        "(values prospect, new, active, lapsing, churned)"
    )
    assert descriptions["value_ranges_behaviour_points"] == (
        "dbt test value_ranges (columns cap >= 0, half_life_days > 0)"
    )


def test_dbt_checks_are_recorded_for_the_scoring_date_like_the_suites(
    demo_run: PipelineRun,
) -> None:
    from dagster_project.defs.scoring import scoring_models

    dbt_checks = {spec.key for spec in scoring_models.check_specs}
    partitions: dict[str, set] = {"dbt": set(), "gx": set()}
    counts = {"dbt": 0, "gx": 0}
    for evaluation in demo_run.result.get_asset_check_evaluations():
        kind = "dbt" if evaluation.asset_check_key in dbt_checks else "gx"
        if evaluation.asset_key.path[0] == "raw" or (
            kind == "gx" and not evaluation.check_name.startswith("gx_")
        ):
            # Ingestion assets have no partitions, nor do their checks; the fitted models'
            # own checks are neither dbt tests nor suites.
            continue
        partitions[kind].add(evaluation.partition)
        counts[kind] += 1
    assert counts["dbt"] > 250 and counts["gx"] >= 5, counts
    assert partitions == {"dbt": {SCORING_DATE.isoformat()}, "gx": {SCORING_DATE.isoformat()}}
