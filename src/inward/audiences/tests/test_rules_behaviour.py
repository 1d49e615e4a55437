"""Behavioural predicates: opened, clicked, enrolled, completed, with windows and ``not``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.models import Audience
from inward.audiences.rules import (
    Call,
    Duration,
    Not,
    RuleError,
    RuleSyntaxError,
    parse_rule,
    rule_from_json,
    rule_to_json,
    rule_to_text,
)
from inward.audiences.rules.conditions import rules_naming_offering
from inward.audiences.selectors import rule_count, rule_explain, rule_people
from inward.audiences.tests.conftest import TODAY, Directory
from inward.campaigns.models import Campaign, Touch
from inward.campaigns.tests.factories import make_campaign, make_channel
from inward.directory.models import Person
from inward.learning.models import Offering, OfferingKind

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def event(
    person: Person,
    kind: str,
    *,
    campaign: Campaign | None = None,
    offering: Offering | None = None,
    when: dt.datetime | None = None,
    robot: bool = False,
) -> EngagementEvent:
    return EngagementEvent.objects.create(
        person=person,
        kind=kind,
        source=EventSource.MANUAL,
        campaign=campaign,
        offering=offering,
        occurred_at=when or at(TODAY),
        robot=robot,
    )


def offering(slug: str = "leadership-101") -> Offering:
    return Offering.objects.create(
        slug=slug,
        title=slug.title(),
        kind=OfferingKind.COURSE,
        activity_id=f"https://lms.example.com/courses/{slug}",
    )


def who(rule: str, today: dt.date = TODAY) -> set[str]:
    people = rule_people(rule=rule, today=today)
    return {p.email.split("@")[0] for p in people}


# --- Reading and writing rules ---------------------------------------------------------------


def test_it_reads_the_behavioural_functions_with_and_without_a_window() -> None:
    node = parse_rule('opened("onboarding", 30d) and not enrolled("leadership-101")')
    assert rule_to_text(node) == 'opened("onboarding", 30d) and not enrolled("leadership-101")'
    assert node == parse_rule('OPENED( "onboarding" , 30D ) AND NOT Enrolled("leadership-101")')
    first = node.items[0]  # type: ignore[union-attr]
    assert first == Call("opened", ("onboarding", Duration(30, "d")))


@pytest.mark.parametrize("name", ["opened", "clicked", "enrolled", "completed"])
@pytest.mark.parametrize("window", ["", ", 2w", ", 3m", ", 1y", ", 0d"])
def test_every_function_round_trips_through_text_and_json(name: str, window: str) -> None:
    node = parse_rule(f'not {name}("some-slug"{window})')
    assert parse_rule(rule_to_text(node)) == node
    assert rule_from_json(rule_to_json(node)) == node


def test_the_window_travels_as_text_in_json() -> None:
    data = rule_to_json('not completed("leadership-101", 6w)')
    assert data == {"not": {"call": "completed", "args": ["leadership-101", "6w"]}}
    assert rule_from_json(data) == Not(Call("completed", ("leadership-101", Duration(6, "w"))))


def test_json_keeps_a_slug_that_looks_like_a_duration_as_text() -> None:
    node = rule_from_json({"call": "opened", "args": ["30d"]})
    assert node == Call("opened", ("30d",))


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("opened()", r"opened needs 1 value\(s\) \(campaign slug\) and optionally a window", 1),
        ('site = "x" or clicked("a", 30d, 2d)', "clicked needs 1 value", 15),
        ("enrolled(30d)", "enrolled needs text in double quotes, not 30d", 1),
        (
            'completed("a", "30d")',
            'the window of completed is a duration such as 30d.*not "30d"',
            1,
        ),
        ('completed("a", 30)', "the window of completed is a duration such as 30d.*not 30", 1),
        ('opend("onboarding")', 'unknown function "opend"; did you mean "opened"?', 1),
    ],
)
def test_it_says_what_is_wrong_with_a_call_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        parse_rule(text)
    assert not isinstance(caught.value, RuleSyntaxError)
    assert (caught.value.line, caught.value.column) == (1, column)


def test_json_reports_a_bad_window_too() -> None:
    with pytest.raises(RuleError, match="the window of opened is a duration"):
        rule_from_json({"call": "opened", "args": ["onboarding", "a month"]})


# --- Who they pick ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_opened_counts_opens_reads_and_clicks_of_that_campaign_only(directory: Directory) -> None:
    people = directory.people
    onboarding = make_campaign(slug="onboarding")
    other = make_campaign(slug="other")
    event(people["anna"], EventKind.OPENED, campaign=onboarding)
    event(people["bob"], EventKind.CLICKED, campaign=onboarding)  # a click counts as an open
    event(people["carl"], EventKind.READ, campaign=onboarding)
    event(people["carl"], EventKind.DELIVERED, campaign=other)
    assert who('opened("onboarding")') == {"anna", "bob", "carl"}
    assert who('clicked("onboarding")') == {"bob"}
    assert who('opened("other")') == set()
    assert who('not opened("onboarding")') == set()
    assert who('not clicked("onboarding")') == {"anna", "carl"}


@pytest.mark.django_db
def test_delivered_and_acknowledged_alone_are_not_an_open(directory: Directory) -> None:
    campaign = make_campaign(slug="onboarding")
    event(directory.people["anna"], EventKind.DELIVERED, campaign=campaign)
    event(directory.people["bob"], EventKind.REACTED, campaign=campaign)
    assert who('opened("onboarding")') == set()


@pytest.mark.django_db
def test_robot_events_never_count(directory: Directory) -> None:
    campaign = make_campaign(slug="onboarding")
    course = offering()
    event(directory.people["anna"], EventKind.CLICKED, campaign=campaign, robot=True)
    event(directory.people["anna"], EventKind.COMPLETED, offering=course, robot=True)
    assert who('opened("onboarding") or enrolled("leadership-101")') == set()
    assert who('not clicked("onboarding") and not completed("leadership-101")') == {
        "anna",
        "bob",
        "carl",
    }


@pytest.mark.django_db
def test_enrolled_includes_starting_completing_and_passing(directory: Directory) -> None:
    people = directory.people
    course, other = offering(), offering("other-course")
    event(people["anna"], EventKind.ENROLLED, offering=course)
    event(people["bob"], EventKind.STARTED, offering=course)
    event(people["carl"], EventKind.PASSED, offering=course)
    event(people["anna"], EventKind.COMPLETED, offering=other)
    assert who('enrolled("leadership-101")') == {"anna", "bob", "carl"}
    assert who('completed("leadership-101")') == {"carl"}
    assert who('completed("other-course")') == {"anna"}
    assert who('enrolled("leadership-101") and not completed("leadership-101")') == {
        "anna",
        "bob",
    }


@pytest.mark.django_db
def test_events_without_the_campaign_or_offering_do_not_count(directory: Directory) -> None:
    make_campaign(slug="onboarding")
    offering()
    event(directory.people["anna"], EventKind.OPENED)  # no campaign
    event(directory.people["bob"], EventKind.ENROLLED)  # no offering
    assert who('opened("onboarding") or enrolled("leadership-101")') == set()


@pytest.mark.django_db
def test_a_window_counts_today_and_whole_days_before(directory: Directory) -> None:
    people = directory.people
    course = offering()
    # The window 30d starts at midnight (Amsterdam) on the day 30 days before today.
    first_day = TODAY - dt.timedelta(days=30)
    event(people["anna"], EventKind.ENROLLED, offering=course, when=at(first_day, 0))
    event(
        people["bob"],
        EventKind.ENROLLED,
        offering=course,
        when=at(first_day, 0) - dt.timedelta(seconds=1),
    )
    event(people["carl"], EventKind.ENROLLED, offering=course, when=at(TODAY, 23))
    assert who('enrolled("leadership-101", 30d)') == {"anna", "carl"}
    assert who('not enrolled("leadership-101", 30d)') == {"bob"}
    assert who('enrolled("leadership-101", 0d)') == {"carl"}
    assert who('enrolled("leadership-101", 1m)') == {"anna", "bob", "carl"}
    assert who('enrolled("leadership-101")') == {"anna", "bob", "carl"}


@pytest.mark.django_db
def test_months_in_a_window_are_calendar_months(directory: Directory) -> None:
    course = offering()
    event(
        directory.people["anna"],
        EventKind.ENROLLED,
        offering=course,
        when=at(dt.date(2025, 2, 28), 9),
    )
    # On 31 March, 1m ago is 28 February (2025 is no leap year).
    assert who('enrolled("leadership-101", 1m)', today=dt.date(2025, 3, 31)) == {"anna"}
    assert who('enrolled("leadership-101", 1m)', today=dt.date(2025, 4, 1)) == set()


@pytest.mark.django_db
def test_an_unknown_slug_is_an_error_at_the_call(directory: Directory) -> None:
    make_campaign(slug="onboarding")
    with pytest.raises(
        RuleError, match='there is no campaign "onbaording"; did you mean "onboarding"'
    ) as caught:
        rule_count(rule='site = "x" or\n  not opened("onbaording")')
    assert (caught.value.line, caught.value.column) == (2, 7)
    with pytest.raises(RuleError, match='there is no learning offering "nope"') as caught:
        rule_count(rule='completed("nope", 30d)')
    assert (caught.value.line, caught.value.column) == (1, 1)


@pytest.mark.django_db
def test_it_counts_in_one_query_plus_one_lookup_per_slug(
    directory: Directory, django_assert_num_queries: Any
) -> None:
    make_campaign(slug="onboarding")
    offering()
    rule = (
        'opened("onboarding", 30d) and not clicked("onboarding") and '
        'not enrolled("leadership-101") and department = "Sales"'
    )
    # One lookup for the campaign (the second call reuses it), one for the offering, one
    # COUNT with the event subqueries in it.
    with django_assert_num_queries(3):
        assert rule_count(rule=rule) == 0


@pytest.mark.django_db
def test_a_saved_audience_can_use_behaviour(directory: Directory) -> None:
    course = offering()
    event(directory.people["bob"], EventKind.COMPLETED, offering=course)
    Audience.objects.create(slug="graduates", name="Graduates", rule='completed("leadership-101")')
    assert who('department = "Sales" and not in_audience("graduates")') == {"anna"}
    assert [use.label for use in rules_naming_offering("leadership-101")] == ["Graduates"]
    assert rules_naming_offering("leadership") == []


# --- Why someone is in or out ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_explains_behaviour_clause_by_clause(directory: Directory) -> None:
    campaign = make_campaign(slug="onboarding")
    course = offering()
    bob = directory.people["bob"]
    today = timezone.localdate()  # explaining is about now
    event(bob, EventKind.CLICKED, campaign=campaign, when=at(today - dt.timedelta(days=40)))
    event(bob, EventKind.STARTED, offering=course, when=at(today))
    rule = (
        'opened("onboarding") and '
        '(not opened("onboarding", 30d) and not enrolled("leadership-101", 1w))'
    )
    explanation = rule_explain(rule=rule, person=bob)
    assert not explanation.matched
    first, group = explanation.children
    assert (first.text, first.matched) == ('opened("onboarding")', True)
    assert [(c.text, c.matched) for c in group.children] == [
        ('not opened("onboarding", 30d)', True),
        ('not enrolled("leadership-101", 1w)', False),
    ]
    inner = group.children[1].children[0]
    assert (inner.text, inner.matched) == ('enrolled("leadership-101", 1w)', True)


@pytest.mark.django_db
def test_explain_reads_events_for_the_person_in_one_query_plus_lookups(
    directory: Directory, django_assert_num_queries: Any
) -> None:
    make_campaign(slug="onboarding")
    offering()
    rule = 'clicked("onboarding", 1w) or completed("leadership-101")'
    with django_assert_num_queries(3):
        explanation = rule_explain(rule=rule, person=directory.people["carl"])
    assert not explanation.matched


@pytest.mark.django_db
def test_an_offering_named_by_a_touch_condition_is_found(directory: Directory) -> None:
    offering()
    campaign = make_campaign(slug="onboarding", name="Onboarding")
    Touch.objects.create(
        campaign=campaign,
        name="Reminder",
        channel=make_channel(),
        condition_rule='not enrolled("leadership-101", 30d)',
    )
    assert [use.label for use in rules_naming_offering("leadership-101")] == [
        "Onboarding — Reminder"
    ]


@pytest.mark.django_db
def test_it_tells_which_rules_read_behaviour_through_saved_audiences_too() -> None:
    from inward.audiences.rules.conditions import rule_uses_behaviour

    Audience.objects.create(slug="graduates", name="G", rule='completed("leadership-101")')
    Audience.objects.create(slug="wrapper", name="W", rule='in_audience("graduates")')
    Audience.objects.create(slug="sales", name="S", rule='department = "Sales"')
    Audience.objects.create(slug="loop", name="L", rule='in_audience("loop")')
    assert rule_uses_behaviour('not opened("x", 30d)')
    assert rule_uses_behaviour('site = "x" or in_audience("wrapper")')
    assert not rule_uses_behaviour('in_audience("sales") and not in_audience("loop")')
    assert not rule_uses_behaviour('in_audience("missing")')
    assert rule_uses_behaviour("not a rule (")
