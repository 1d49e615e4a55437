"""Random events, random behavioural rules: the compiled SQL must pick who the reference
evaluator picks, windows, robots, ``not`` and all."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.rules import parse_rule, rule_from_json, rule_to_json, rule_to_text
from inward.audiences.rules.ast import And, Call, Duration, Node, Not, Or
from inward.audiences.rules.reference import World
from inward.audiences.selectors import rule_people
from inward.audiences.tests.conftest import TODAY
from inward.audiences.tests.test_rules_property import SAVED, comparisons, people
from inward.audiences.tests.test_rules_property import _save as save_people
from inward.campaigns.tests.factories import make_campaign
from inward.directory.models import Person
from inward.learning.models import Offering, OfferingKind

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CAMPAIGNS = ["c1", "c2"]
OFFERINGS = ["o1", "o2"]
WINDOWS = [None, Duration(0, "d"), Duration(1, "d"), Duration(30, "d"), Duration(2, "w")]
WINDOWS += [Duration(1, "m"), Duration(3, "m"), Duration(1, "y")]


@st.composite
def behaviour_calls(draw: st.DrawFn) -> Call:
    name = draw(st.sampled_from(["opened", "clicked", "enrolled", "completed"]))
    slugs = CAMPAIGNS if name in ("opened", "clicked") else OFFERINGS
    slug = draw(st.sampled_from(slugs))
    window = draw(st.sampled_from(WINDOWS))
    return Call(name, (slug,) if window is None else (slug, window))


MESSAGE_KINDS = ["opened", "clicked", "read", "delivered", "acknowledged", "reacted"]
LEARNING_KINDS = ["enrolled", "started", "completed", "passed", "recommended"]


@st.composite
def events(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        about = draw(st.sampled_from(["campaign", "campaign", "offering", "offering", "neither"]))
        kinds = MESSAGE_KINDS if about == "campaign" else LEARNING_KINDS
        kind = draw(st.sampled_from(kinds if about != "neither" else EventKind.values))
        # Days around every window's edge, at times near local midnight.
        days_back = draw(st.sampled_from([0, 1, 2, 13, 14, 15, 29, 30, 31, 32, 92, 93, 365, 366]))
        hour, minute = draw(st.sampled_from([(0, 0), (0, 30), (1, 0), (12, 0), (23, 59)]))
        day = TODAY - dt.timedelta(days=days_back)
        rows.append(
            {
                "person": draw(st.integers(min_value=0, max_value=count - 1)),
                "kind": kind,
                "campaign": draw(st.sampled_from(CAMPAIGNS)) if about == "campaign" else None,
                "offering": draw(st.sampled_from(OFFERINGS)) if about == "offering" else None,
                "when": dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM),
                "robot": draw(st.sampled_from([False, False, False, True])),
            }
        )
    return rows


def _groups(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    items = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(items.map(And), items.map(Or), children.map(Not))


# Mostly behaviour, with a few comparisons mixed in.
rules = st.recursive(
    st.one_of(behaviour_calls(), behaviour_calls(), behaviour_calls(), comparisons()),
    _groups,
    max_leaves=4,
)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = draw(people())
    return rows, draw(events(len(rows)))


def _save_events(rows: list[dict[str, Any]]) -> None:
    people_by_index = list(Person.objects.order_by("pk"))
    campaigns = {slug: make_campaign(slug=slug) for slug in CAMPAIGNS}
    offerings = {
        slug: Offering.objects.create(
            slug=slug,
            title=slug,
            kind=OfferingKind.COURSE,
            activity_id=f"https://lms.example.com/{slug}",
        )
        for slug in OFFERINGS
    }
    EngagementEvent.objects.bulk_create(
        EngagementEvent(
            person=people_by_index[row["person"]],
            kind=row["kind"],
            source=EventSource.MANUAL,
            campaign=campaigns.get(row["campaign"] or ""),
            offering=offerings.get(row["offering"] or ""),
            occurred_at=row["when"],
            robot=row["robot"],
        )
        for row in rows
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds(), rule=rules)
def test_it_picks_the_same_people_as_the_reference(
    db: None, world: tuple[list[dict[str, Any]], list[dict[str, Any]]], rule: Node
) -> None:
    person_rows, event_rows = world
    text = rule_to_text(rule)
    assert parse_rule(text) == rule
    assert rule_from_json(rule_to_json(rule)) == rule
    savepoint = transaction.savepoint_create()
    try:
        save_people(person_rows)
        _save_events(event_rows)
        world_now = World.load(today=TODAY, audiences={s: parse_rule(t) for s, t in SAVED.items()})
        compiled = set(rule_people(rule=text, today=TODAY).values_list("pk", flat=True))
        assert compiled == world_now.members(rule), text
    finally:
        transaction.savepoint_rollback(savepoint)
