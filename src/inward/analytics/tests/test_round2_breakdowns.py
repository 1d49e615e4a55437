"""Round 2 of the funnel report: each touch's own numbers, a sentence on what the touch
rows mean, language names, A/B versions labelled by their words, and attributed learning
hidden by how many people it is for."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from inward.analytics.models import EventKind
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import START, credit, deliveries, funnel_rows
from inward.campaigns.models import Variant
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery

pytestmark = pytest.mark.django_db


def rows(report: Any, dimension: str) -> dict[str, list[int | None]]:
    breakdown = next(b for b in report.breakdowns if b.dimension == dimension)
    return {row.label: row.counts for row in breakdown.rows}


def test_a_touch_row_counts_who_engaged_with_that_touch_and_how_far_they_went() -> None:
    campaign = make_campaign()
    channel = make_channel()
    first = make_touch(campaign, channel, name="First")
    second = make_touch(campaign, channel, name="Second")
    people = make_people(12)
    funnel_rows(campaign, people, [5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 0, 0])
    deliveries(first, people[:10], opened=[1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    deliveries(first, people[10:], sent=False)
    deliveries(second, people[:10], opened=[0, 0, 0, 1, 0, 0, 1, 0, 0, 0])
    # A click counts without an open; an open of a message never sent does not.
    Delivery.objects.filter(touch=second, person=people[0]).update(clicked_at=START)
    Delivery.objects.filter(touch=first, person=people[10]).update(opened_at=START)

    report = funnel_report(campaign, minimum=1)

    assert report.total.counts == [12, 10, 7, 4, 2, 1]
    assert rows(report, "touch") == {
        "First": [12, 10, 5, 3, 2, 1],  # opened by people at stages 5, 4, 3, 2, 2
        "Second": [10, 10, 3, 2, 1, 1],  # clicked at 5, opened at 3 and 2
    }
    # Each person once per stage and channel: everyone who engaged with either touch.
    assert rows(report, "stage") == {"Awareness": [12, 10, 7, 4, 2, 1]}
    assert rows(report, "channel") == {channel.name: [12, 10, 7, 4, 2, 1]}


def test_the_touch_stage_and_channel_breakdowns_say_what_their_rows_count() -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Mail")
    people = make_people(6)
    funnel_rows(campaign, people, [2] * 6)
    deliveries(touch, people, opened=[True] * 6)

    report = funnel_report(campaign, minimum=1)

    notes = {b.dimension: b.note for b in report.breakdowns}
    assert "engaged means they opened, read or clicked it" in notes["touch"]
    assert "journey stage" in notes["stage"] and "channel" in notes["channel"]
    assert notes["language"] == notes["department"] == ""


def test_languages_are_named_in_the_viewers_language_and_keyed_by_code() -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Mail")
    dutch, frisian = make_people(6, language="nl"), make_people(6, language="fy")
    funnel_rows(campaign, [*dutch, *frisian], [1] * 12)
    deliveries(touch, [*dutch, *frisian])

    with translation.override("en"):
        english = funnel_report(campaign, minimum=1, breakdowns=["language"])
    with translation.override("nl"):
        dutch_report = funnel_report(campaign, minimum=1, breakdowns=["language"])

    assert {(r.key, r.label) for r in english.breakdowns[0].rows} == {
        ("nl", "Dutch"),
        ("fy", "Frisian"),
    }
    assert {r.label for r in dutch_report.breakdowns[0].rows} == {"Nederlands", "Fries"}


def ab_test(opened_a: int, opened_b: int) -> Any:
    campaign = make_campaign()
    channel = make_channel()
    touch = make_touch(campaign, channel, name="Launch", subject="Lead better, starting Monday")
    Variant.objects.filter(touch=touch).update(arm="A")
    a = Variant.objects.get(touch=touch)
    b = Variant.objects.create(
        touch=touch, language="", arm="B", subject="{{ person.first_name }}, your team", body="x"
    )
    a_people, b_people = make_people(100), make_people(100)
    funnel_rows(campaign, [*a_people, *b_people], [2] * 200)
    deliveries(touch, a_people, variant=a, opened=[i < opened_a for i in range(100)])
    deliveries(touch, b_people, variant=b, opened=[i < opened_b for i in range(100)])
    # Engaging with the campaign later (another touch) is not engaging with this one.
    later = make_touch(campaign, channel, name="Later")
    deliveries(later, a_people, opened=[True] * 100)
    return campaign


def test_ab_versions_are_labelled_by_arm_and_subject_and_add_up_to_the_touch_row() -> None:
    campaign = ab_test(20, 40)

    report = funnel_report(campaign, minimum=5)

    comparison = report.variants[0]
    labels = [v.label for v in comparison.variants]
    assert labels == [
        "Version A: “Lead better, starting Monday”",
        "Version B: “{{ person.first_name }}, your team”",
    ]
    assert not any("default" in label for label in labels)
    assert comparison.verdict.startswith("Version B got more people to engage (40% vs 20%)")
    assert [v.engaged for v in comparison.variants] == [20, 40]
    assert rows(report, "touch")["Launch"][:3] == [200, 200, 60]


def test_ab_versions_of_other_languages_say_which_language() -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Invite", subject="Hello")
    b = Variant.objects.create(touch=touch, language="nl", subject="Hoi " + "x" * 80, body="x")
    a_people, b_people = make_people(40), make_people(40)
    funnel_rows(campaign, [*a_people, *b_people], [1] * 80)
    deliveries(touch, a_people)
    deliveries(touch, b_people, variant=b)

    with translation.override("en"):
        labels = [v.label for v in funnel_report(campaign, minimum=1).variants[0].variants]

    assert labels[0] == "Version A: “Hello”"
    assert labels[1].startswith("Version B (Dutch): “Hoi xxx")
    assert labels[1].endswith("…”") and len(labels[1]) < 90


def test_a_fractional_credit_for_enough_people_is_shown_and_rounded_to_one_decimal() -> None:
    campaign = make_campaign()
    channel = make_channel()
    mail, post, talk = (make_touch(campaign, channel, name=n) for n in ("Mail", "Post", "Talk"))
    people = make_people(20)
    # Linear: eight people's enrolments are split over two touches; Talk's share is for 8.
    for person in people[:8]:
        credit(campaign, mail, person, EventKind.ENROLLED, weight=0.65)
        credit(campaign, talk, person, EventKind.ENROLLED, weight=0.35)  # 8 x 0.35 = 2.8
    for person in people[8:16]:
        credit(campaign, mail, person, EventKind.ENROLLED, weight=1.0)

    linear = funnel_report(campaign, minimum=5, model="linear").learning[0]

    assert linear.model == "linear" and linear.enrolled == 16.0
    assert linear.by_touch == [("Mail", 13.2, 0.0), ("Talk", 2.8, 0.0)]  # Talk: 8 people

    for person in people[16:20]:
        credit(campaign, post, person, EventKind.ENROLLED, weight=1.0)  # for 4 people

    linear = funnel_report(campaign, minimum=5, model="linear").learning[0]
    by_touch = {name: enrolled for name, enrolled, _completed in linear.by_touch}
    assert linear.enrolled == 20.0 and by_touch["Post"] is None
    # Post alone hidden would be "total minus the rest": a second part is hidden with it.
    assert list(by_touch.values()).count(None) == 2
    exact = funnel_report(campaign, minimum=1, model="linear").learning[0]
    assert {name: e for name, e, _c in exact.by_touch} == {"Mail": 13.2, "Post": 4.0, "Talk": 2.8}


def test_a_credit_total_for_too_few_people_is_hidden_whatever_its_weight() -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Mail")
    for person in make_people(3):
        credit(campaign, touch, person, EventKind.ENROLLED, weight=1.0)
        credit(campaign, touch, person, EventKind.STARTED, weight=1.0)  # 6 credits, 3 people

    report = funnel_report(campaign, minimum=5, model="last")

    assert report.learning[0].enrolled is None
    assert report.learning[0].by_touch == [("Mail", None, 0.0)]
