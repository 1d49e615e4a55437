from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.analytics.selectors import funnel_report, person_events, person_funnels
from inward.analytics.tests.funnel_fixtures import (
    START,
    credit,
    deliveries,
    department,
    funnel_rows,
    sales_and_support,
)
from inward.campaigns.models import Variant
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch

pytestmark = pytest.mark.django_db

# 12 in Sales, 6 in Support.
SALES = [0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5]
SUPPORT = [1, 1, 2, 2, 3, 4]


def rows(report: Any, dimension: str) -> dict[str, list[int | None]]:
    breakdown = next(b for b in report.breakdowns if b.dimension == dimension)
    return {row.label: row.counts for row in breakdown.rows}


def test_it_counts_each_stage_cumulatively_for_an_admin() -> None:
    built = sales_and_support(SALES, SUPPORT)
    report = funnel_report(built.campaign, minimum=1)
    assert report.total.counts == [18, 17, 13, 8, 5, 2]
    assert [s.key for s in report.stages][:3] == ["audience", "reached", "engaged"]
    assert rows(report, "department") == {
        "Sales": [12, 11, 9, 6, 4, 2],
        "Support": [6, 6, 4, 2, 1, 0],
    }
    assert rows(report, "touch") == {"Launch mail": [18, 17, 13, 8, 5, 2]}
    assert rows(report, "language") == {"English": [18, 17, 13, 8, 5, 2]}


def test_it_folds_small_groups_and_hides_small_counts_for_others() -> None:
    built = sales_and_support(SALES, SUPPORT)
    funnel_rows(built.campaign, make_people(3, department="HR"), [1, 2, 2])
    funnel_rows(built.campaign, make_people(3, department="Legal"), [1, 1, 3])
    report = funnel_report(built.campaign, minimum=5)
    assert report.minimum_group_size == 5
    by_department = rows(report, "department")
    assert list(by_department) == ["Sales", "Support", "Other"]
    assert by_department["Other"][0] == 6
    for counts in [report.total.counts, *by_department.values()]:
        assert all(c is None or c == 0 or c >= 5 for c in counts)
    assert report.total.counts[0] == 24


def test_it_hides_a_count_a_neighbour_would_give_away() -> None:
    built = sales_and_support([1] * 10 + [2] * 8, [])  # reached 18, engaged 8
    report = funnel_report(built.campaign, minimum=5)
    assert report.total.counts[:3] == [18, 18, 8]
    built2 = sales_and_support([1] * 2 + [2] * 16, [], slug="summer")
    report2 = funnel_report(built2.campaign, minimum=5)
    assert report2.total.counts[:3] == [18, 18, None]  # 18 - 16: two did not engage


def test_it_counts_per_day_by_the_first_time_each_stage_was_reached() -> None:
    built = sales_and_support(SALES, SUPPORT)
    report = funnel_report(built.campaign, minimum=1)
    days = [p.day for p in report.over_time]
    assert days[0] == (START + dt.timedelta(days=1)).date()
    assert days == [days[0] + dt.timedelta(n) for n in range(len(days))]
    assert report.over_time[-1].counts == [None, 17, 13, 8, 5, 2]
    assert report.over_time[0].counts == [None, 17, 0, 0, 0, 0]


def test_its_day_by_day_series_ends_at_the_totals() -> None:
    built = sales_and_support(SALES, SUPPORT)
    report = funnel_report(built.campaign, minimum=5)
    assert report.over_time[-1].counts[1:] == report.total.counts[1:]
    assert all(p.counts[0] is None for p in report.over_time)


def test_it_reports_credited_learning_per_model_with_the_chosen_model_first() -> None:
    built = sales_and_support(SALES, SUPPORT)
    for person in built.people[:6]:
        credit(built.campaign, built.touch, person, EventKind.ENROLLED)
    credit(built.campaign, None, built.people[6], EventKind.COMPLETED, weight=0.5)
    report = funnel_report(built.campaign, minimum=1, model="linear")
    assert [item.model for item in report.learning] == ["linear", "first", "last"]
    linear = report.learning[0]
    assert (linear.enrolled, linear.completed) == (6.0, 0.5)
    assert linear.by_touch == [("Launch mail", 6.0, 0.0), ("(deleted touch)", 0.0, 0.5)]
    hidden = funnel_report(built.campaign, minimum=5).learning[0]
    assert hidden.completed is None
    assert hidden.enrolled == 6.0
    assert hidden.by_touch == [("Launch mail", 6.0, 0.0), ("(deleted touch)", 0.0, None)]


def test_it_compares_variants_of_a_touch() -> None:
    channel = make_channel()
    campaign = make_campaign()
    touch = make_touch(campaign, channel, name="Invite")
    b = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="x")
    a_people, b_people = make_people(100), make_people(100)
    funnel_rows(campaign, [*a_people, *b_people], [1] * 200)
    deliveries(touch, a_people, opened=[i < 20 for i in range(100)])
    deliveries(touch, b_people, variant=b, opened=[i < 30 for i in range(100)])
    comparison = funnel_report(campaign, minimum=5).variants[0]
    assert comparison.touch_name == "Invite"
    assert [(v.reached, v.engaged) for v in comparison.variants] == [(100, 20), (100, 30)]
    assert comparison.p_value == pytest.approx(0.1025, abs=0.001)
    assert not comparison.significant
    assert comparison.verdict.startswith("No clear winner yet")


def test_it_lists_what_is_recorded_about_a_person_newest_first() -> None:
    built = sales_and_support([2], [])
    person = built.people[0]
    for hours, kind in ((1, EventKind.DELIVERED), (2, EventKind.OPENED)):
        EngagementEvent.objects.create(
            person=person, campaign=built.campaign, kind=kind, source=EventSource.DEMO,
            occurred_at=START + dt.timedelta(hours=hours),
        )  # fmt: skip
    assert [e.kind for e in person_events(person)] == ["opened", "delivered"]
    assert [f.campaign.slug for f in person_funnels(person)] == ["spring"]


def test_it_builds_the_report_in_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any,
) -> None:
    built = sales_and_support(SALES, SUPPORT)
    with django_assert_max_num_queries(12 + 3):
        report = funnel_report(built.campaign, minimum=5)
    assert department("Sales") in {r.key for b in report.breakdowns for r in b.rows}


def test_it_counts_days_in_the_campaign_time_zone() -> None:
    campaign = make_campaign(time_zone="America/New_York")
    people = make_people(2)
    funnel_rows(campaign, people, [1, 1])
    from inward.analytics.models import RecipientFunnel

    late = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # still the 2nd in New York
    RecipientFunnel.objects.filter(campaign=campaign).update(reached_at=late)
    report = funnel_report(campaign, minimum=1)
    assert [(p.day, p.counts[1]) for p in report.over_time] == [(dt.date(2026, 3, 2), 2)]


def test_it_leaves_out_the_sections_not_asked_for(django_assert_max_num_queries: Any) -> None:
    built = sales_and_support(SALES, SUPPORT)
    with django_assert_max_num_queries(1 + 3):  # + savepoint, work_mem, release
        report = funnel_report(built.campaign, minimum=1, breakdowns=(), sections=())
    assert report.total.counts == [18, 17, 13, 8, 5, 2]
    assert (report.over_time, report.learning, report.variants) == ([], [], [])
    with pytest.raises(ValueError, match="unknown breakdowns or sections: shoe"):
        funnel_report(built.campaign, minimum=1, breakdowns=("shoe",))


def test_it_counts_each_person_once_per_journey_stage_and_channel() -> None:
    from inward.analytics.breakdowns import campaign_touches, delivery_groups, touch_profile

    channel, other_channel = make_channel(), make_channel(name="Slack")
    campaign = make_campaign()
    first = make_touch(campaign, channel, name="First")
    second = make_touch(campaign, channel, name="Second")
    third = make_touch(campaign, other_channel, name="Third", stage="action")
    people = make_people(10)
    funnel_rows(campaign, people, [1, 1, 1, 2, 2, 2, 3, 3, 0, 0])
    # Funnel stages:          1  1  1  2  2  2  3  3  0  0
    deliveries(first, people[:8], opened=[0, 0, 0, 1, 1, 0, 1, 1])
    deliveries(first, people[8:], sent=False)
    deliveries(second, people[2:6], opened=[0, 1, 1, 1])
    deliveries(third, people[5:9], opened=[1, 1, 0, 0])
    touches = campaign_touches(campaign)
    profile = touch_profile(campaign, touches)
    for given in (profile, None):  # from the profile, and by the per-dimension queries
        by = {
            d: {g.label: g.counts for g in delivery_groups(campaign, d, touches, given)}
            for d in ("touch", "stage", "channel")
        }
        # Engaged: who opened that touch; acted: those of them who acted in the campaign.
        assert by["touch"] == {
            "First": [10, 8, 4, 2, 0, 0],
            "Second": [4, 4, 3, 0, 0, 0],
            "Third": [4, 4, 2, 1, 0, 0],
        }
        # people[3..7] opened a first-stage touch (people[5] only the second).
        assert by["stage"] == {"Awareness": [10, 8, 5, 2, 0, 0], "Action": [4, 4, 2, 1, 0, 0]}
        assert by["channel"][channel.name] == [10, 8, 5, 2, 0, 0]


def test_variants_do_not_add_up_to_a_reached_count_the_touch_hides() -> None:
    channel = make_channel()
    campaign = make_campaign()
    touch = make_touch(campaign, channel, name="Invite")
    b = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="x")
    a_people, b_people, unsent = make_people(100), make_people(100), make_people(2)
    funnel_rows(campaign, [*a_people, *b_people, *unsent], [1] * 200 + [0, 0])
    deliveries(touch, a_people, opened=[i < 20 for i in range(100)])
    deliveries(touch, b_people, variant=b, opened=[i < 30 for i in range(100)])
    deliveries(touch, unsent, sent=False)  # 202 written, 200 sent: "2 not sent" is small
    report = funnel_report(campaign, minimum=5)
    touch_row = report.breakdowns[0].rows[0]
    assert touch_row.counts[:2] == [202, None]
    comparison = report.variants[0]
    assert None in [v.reached for v in comparison.variants]
    assert comparison.p_value is None
    assert funnel_report(campaign, minimum=1).variants[0].p_value == pytest.approx(0.1025, abs=1e-3)
