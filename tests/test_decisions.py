"""Marketing decisions on the demo data, read from the published file as BI reads it:
campaign economics that add up, reminders that answer less, and the uplift the demo
generator put in its control groups recovered within the published confidence interval."""

from __future__ import annotations

import math

import dagster as dg
import duckdb
import pytest
from conftest import SCORING_DATE, PipelineRun


@pytest.fixture(scope="module")
def published(demo_run: PipelineRun) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(demo_run.layout.published_db), read_only=True)
    yield con
    con.close()


def test_campaign_performance_adds_up_for_every_campaign(published, demo_run) -> None:
    rows = published.execute(
        "select campaign_id, audience_kind, sum(contacts), sum(cost),"
        " sum(margin_after_advertising), sum(incremental_margin), min(scoring_date)"
        " from campaign_performance group by 1, 2"
    ).fetchall()
    assert {kind for _, kind, *_ in rows} == {"campaign", "segment", "group"}
    assert len({campaign for campaign, *_ in rows}) >= 15
    with duckdb.connect(str(demo_run.layout.warehouse), read_only=True) as con:
        campaigns = dict(
            con.execute(
                "select campaign_id, (cost_per_contact, fixed_cost) from staging.stg_campaigns"
            ).fetchall()
        )
        contacts = dict(
            con.execute(
                "select campaign_id, count(*) from staging.stg_campaign_contacts"
                " where not is_control and contacted_at < ? group by 1",
                [SCORING_DATE],
            ).fetchall()
        )
    kinds = {}
    for campaign_id, kind, sent, cost, after, margin, scoring_date in rows:
        kinds.setdefault(campaign_id, set()).add(kind)
        per_contact, fixed = campaigns[campaign_id]
        # Each kind (segments, groups) counts every contact once ...
        assert sent == contacts[campaign_id]
        # ... and shares the fixed cost out over its audiences, whole.
        assert cost == pytest.approx(float(per_contact) * sent + float(fixed))
        assert after == pytest.approx(margin - cost)
        assert scoring_date == SCORING_DATE
    assert all(found == {"campaign", "segment", "group"} for found in kinds.values())


def test_each_campaign_has_one_verdict_against_its_whole_control_group(published) -> None:
    """The whole campaign's row: its contacts and cost are those of its cuts, and where it
    held out enough control customers its margin is the uplift's, whatever its cuts say."""
    whole = published.execute(
        "select campaign_id, contacts, cost, margin, control_customers, uplift,"
        " contacted_customers, margin_per_response, economics_basis, incremental_margin,"
        " margin_after_advertising from campaign_performance where audience_kind = 'campaign'"
        " and audience = 'all' order by campaign_id"
    ).df()
    cuts = published.execute(
        "select campaign_id, sum(contacts) as contacts, sum(cost) as cost, sum(margin) as margin"
        " from campaign_performance where audience_kind = 'segment' group by 1 order by 1"
    ).df()
    assert whole.campaign_id.tolist() == cuts.campaign_id.tolist()
    assert whole.contacts.tolist() == cuts.contacts.tolist()
    assert whole.cost.tolist() == pytest.approx(cuts.cost.tolist())
    assert [float(m) for m in whole.margin] == pytest.approx([float(m) for m in cuts.margin])
    controlled = whole[whole.control_customers >= 30]
    assert len(controlled) >= 2
    assert (controlled.economics_basis == "control_group_uplift").all()
    expected = controlled.uplift * controlled.contacted_customers * controlled.margin_per_response
    assert controlled.incremental_margin.tolist() == pytest.approx(expected.tolist())
    assert (whole.margin_after_advertising < 0).any()  # not every campaign pays


def test_campaigns_by_predictive_group_use_the_groups_of_the_customers(published, demo_run) -> None:
    """One scoring date run: no group history before the campaigns, so today's groups
    stand in, flagged as not known at contact; a contacted customer's group is the one
    published in customer_scores (A for buyers here, ungrouped for the others)."""
    published_rows = published.execute(
        "select campaign_id, audience, contacted_customers, audience_as_of,"
        " is_audience_known_at_contact from campaign_performance"
        " where audience_kind = 'group'"
    ).fetchall()
    assert {row[3] for row in published_rows} == {SCORING_DATE}
    assert {row[4] for row in published_rows} == {False}
    groups = dict(
        published.execute(
            "select customer_id, predictive_group from customer_scores"
            " where predictive_group is not null"
        ).fetchall()
    )
    with duckdb.connect(str(demo_run.layout.warehouse), read_only=True) as con:
        contacted = con.execute(
            "select distinct campaign_id, customer_id from intermediate.int_campaign_contacts"
            " where not is_control"
        ).fetchall()
    expected: dict[tuple[str, str], int] = {}
    for campaign_id, customer_id in contacted:
        key = (campaign_id, groups.get(customer_id, "ungrouped"))
        expected[key] = expected.get(key, 0) + 1
    assert {(row[0], row[1]): row[2] for row in published_rows} == expected
    assert {audience for _, audience in expected} == {"A", "ungrouped"}


def test_the_break_even_flag_follows_the_published_numbers(published) -> None:
    rows = published.execute(
        "select response_rate, uplift, economics_basis, break_even_response_rate,"
        " cost_per_contact, margin, responses, unprofitable_to_contact"
        " from campaign_performance"
    ).fetchall()
    flags = set()
    for rate, uplift, basis, break_even, per_contact, margin, responses, flag in rows:
        compared = uplift if basis == "control_group_uplift" else rate
        if break_even is None:
            assert flag == (per_contact > 0)
        else:
            assert break_even == pytest.approx(float(per_contact) * responses / float(margin))
            assert flag == (compared < break_even)
        flags.add(flag)
    assert flags == {True, False}


def test_reminders_answer_less_than_first_contacts(published) -> None:
    rates = dict(
        published.execute(
            "select contact_rank, sum(responses) / sum(contacts) from contact_rank_performance"
            " where audience_kind = 'segment' group by 1"
        ).fetchall()
    )
    assert len(rates) >= 3 and all(rates[1] > rate for rank, rate in rates.items() if rank > 1)


def test_recommended_contacts_stop_before_the_first_rank_that_loses(published) -> None:
    """For every contact, per segment and per group: recommended_contacts is the last rank
    of the unbroken run of profitable ranks from rank 1, recomputed here from the published
    margins; each cut counts every contact."""
    rows = published.execute(
        "select audience_kind, audience, contact_rank, margin, cost,"
        " marginal_margin_after_advertising, recommended_contacts, contacts"
        " from contact_rank_performance order by 1, 2, 3"
    ).fetchall()
    audiences: dict[tuple[str, str], list[tuple]] = {}
    for kind, audience, *rest in rows:
        audiences.setdefault((kind, audience), []).append(tuple(rest))
    assert {kind for kind, _ in audiences} == {"campaign", "segment", "group"}
    assert {audience for kind, audience in audiences if kind == "campaign"} == {"all"}
    recommendations = set()
    for ranks in audiences.values():
        expected = 0
        for rank, margin, cost, marginal, _recommended, _contacts in ranks:
            assert float(marginal) == pytest.approx(float(margin) - float(cost))
            if rank == expected + 1 and marginal > 0:
                expected = rank
        assert {recommended for *_, recommended, _ in ranks} == {expected}
        recommendations.add(expected)
    assert len(recommendations) >= 2  # audiences differ in how often they pay
    contacts = {
        kind: sum(r[-1] for (k, _), ranks in audiences.items() if k == kind for r in ranks)
        for kind in ("campaign", "segment", "group")
    }
    assert contacts["campaign"] == contacts["segment"] == contacts["group"] > 0


def test_segments_respond_differently(published) -> None:
    rates = dict(
        published.execute(
            "select audience, sum(responses) / sum(contacts) from contact_rank_performance"
            " where audience_kind = 'segment' and contact_rank = 1 group by 1"
            " having sum(contacts) >= 50"
        ).fetchall()
    )
    assert rates["loyal_customers"] > 1.5 * rates["hibernating"]


def test_control_groups_recover_the_generated_uplift(published, demo_run) -> None:
    truth = demo_run.report.campaign_uplift
    rows = published.execute(
        "select campaign_id, sum(contacted_customers),"
        " sum(contacted_customer_response_rate * contacted_customers),"
        " sum(control_customers), sum(control_responders)"
        " from campaign_performance where audience_kind = 'segment' and control_customers > 0"
        " group by 1"
    ).fetchall()
    assert {row[0] for row in rows} == set(truth)
    contacted = sum(row[1] for row in rows)
    responders = sum(row[2] for row in rows)
    control = sum(row[3] for row in rows)
    control_responders = sum(row[4] for row in rows)
    p1, p0 = responders / contacted, control_responders / control
    estimate = p1 - p0
    error = 1.96 * math.sqrt(p1 * (1 - p1) / contacted + p0 * (1 - p0) / control)
    selected = sum(t["selected"] for t in truth.values())
    true_uplift = sum(t["true_uplift"] * t["selected"] for t in truth.values()) / selected
    assert estimate - error <= true_uplift <= estimate + error
    assert true_uplift > 0.02


def test_every_customer_has_a_crm_profile(published) -> None:
    profiles = published.execute(
        "select count(*), count(distinct customer_id), count(reaction_type),"
        " count(distinct reaction_type), count(top_category), count(dominant_channel)"
        " from customer_profiles"
    ).fetchone()
    scores = published.execute(
        "select count(*), count(reaction_type), count(top_category) from customer_scores"
    ).fetchone()
    assert profiles[0] == profiles[1] == profiles[2] == scores[0] == scores[1]
    assert profiles[3] >= 4  # not contacted, non-responders, promotion-driven, ...
    assert profiles[4] == profiles[5] == scores[2] > 0  # buyers have categories and channels
    shares = published.execute(
        "select min(top_category_share), max(category_concentration_hhi),"
        " min(category_concentration_hhi * categories_bought) from customer_profiles"
        " where top_category is not null"
    ).fetchone()
    # HHI is at most 1 and at least 1/n for n categories.
    assert 0 < shares[0] <= 1 and shares[1] <= 1 + 1e-9 and shares[2] >= 1 - 1e-9


def test_buyers_get_predictive_groups_with_a_forecast(published, demo_run) -> None:
    event = demo_run.instance.get_latest_materialization_event(
        dg.AssetKey(["predictions", "purchase_propensity"])
    )
    metadata = event.asset_materialization.metadata
    assert metadata["holdout_rows"].value > 0 and 0 < metadata["holdout_auc"].value <= 1
    checks = [
        evaluation
        for evaluation in demo_run.result.get_asset_check_evaluations()
        if evaluation.check_name == "holdout_auc_at_least_0_6"
    ]
    assert len(checks) == 1
    assert checks[0].passed == (metadata["holdout_auc"].value >= 0.6)
    grouped = dict(
        published.execute(
            "select predictive_group, count(*) from customer_scores"
            " where predictive_group is not null group by 1"
        ).fetchall()
    )
    buyers = published.execute(
        "select count(*) from customer_scores where orders_total > 0"
    ).fetchone()[0]
    # 600 demo customers: fewer buyers than half of group_size (2,500), so one group A.
    assert grouped == {"A": buyers}
    forecast = published.execute(
        "select customers, expected_buyers, expected_margin, contact_cost,"
        " expected_margin_after_contact from predictive_group_forecast"
    ).fetchall()
    assert len(forecast) == 1
    customers, expected_buyers, margin, cost, after = forecast[0]
    assert customers == buyers and 0 < expected_buyers < buyers
    assert cost == pytest.approx(customers * 1.0)
    assert float(after) == pytest.approx(float(margin) - float(cost))
    assert published.execute("select count(*) from predictive_group_backtest").fetchone() == (0,)
