"""Statements sent over real HTTP to the running LRS become engagement events."""

from __future__ import annotations

from typing import Any

import pytest

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.directory.models import Person
from inward.learning.models import Offering
from inward.xapi.clients import create_client
from inward.xapi.models import Statement
from inward.xapi.tests.statements_http import Lrs, new_id, statement

pytestmark = pytest.mark.django_db(transaction=True)

ADL = "http://adlnet.gov/expapi/verbs/"
COURSE = "https://lms.example.com/course/onboarding"


@pytest.fixture
def lrs(live_server: Any) -> Lrs:
    client, secret = create_client(name="Moodle")
    return Lrs(base=live_server.url + "/xapi", key=client.key, secret=secret)


@pytest.fixture
def ann() -> Person:
    return Person.objects.create(email="ann@example.com", external_id="E-7")


@pytest.fixture
def course() -> Offering:
    return Offering.objects.create(
        slug="onboarding", title="Onboarding", kind="course", activity_id=COURSE
    )


def test_a_batch_becomes_events_for_known_people(lrs: Lrs, ann: Person, course: Offering) -> None:
    enrolled = statement(mbox="mailto:Ann@Example.com", verb=ADL + "registered", activity=COURSE)
    completed = statement(verb=ADL + "completed", activity=COURSE, id=new_id())
    completed["actor"] = {"account": {"homePage": "https://lms.example.com", "name": "E-7"}}
    stranger = statement(mbox="mailto:stranger@example.com", activity=COURSE)
    answer = lrs.post([enrolled, completed, stranger])
    assert answer.status == 200, answer.body
    ids = answer.json()
    events = {str(e.statement_id): e for e in EngagementEvent.objects.all()}
    assert set(events) == {ids[0], ids[1]}
    assert {e.kind for e in events.values()} == {EventKind.ENROLLED, EventKind.COMPLETED}
    assert {(e.person_id, e.offering_id, e.source) for e in events.values()} == {
        (ann.pk, course.pk, EventSource.XAPI)
    }
    unmatched = Statement.objects.get(pk=ids[2])
    assert unmatched.person is None and unmatched.offering == course


def test_voiding_a_statement_takes_its_event_back(lrs: Lrs, ann: Person, course: Offering) -> None:
    sid = new_id()
    assert (
        lrs.post([statement(mbox="mailto:ann@example.com", activity=COURSE, id=sid)]).status == 200
    )
    assert EngagementEvent.objects.count() == 1
    voiding = statement(
        mbox="mailto:admin@example.com",
        verb=ADL + "voided",
        object={"objectType": "StatementRef", "id": sid},
    )
    assert lrs.post([voiding]).status == 200
    assert not EngagementEvent.objects.exists()


def test_a_statement_voided_in_its_own_batch_makes_no_event(
    lrs: Lrs, ann: Person, course: Offering
) -> None:
    sid = new_id()
    voiding = statement(
        mbox="mailto:admin@example.com",
        verb=ADL + "voided",
        object={"objectType": "StatementRef", "id": sid},
    )
    target = statement(mbox="mailto:ann@example.com", activity=COURSE, id=sid)
    answer = lrs.post([target, voiding])
    assert answer.status == 200, answer.body
    assert Statement.objects.get(pk=sid).voided
    assert not EngagementEvent.objects.exists()
