"""How dbt's project appears in Dagster: owners from dbt meta, a description for every check."""

from __future__ import annotations


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
