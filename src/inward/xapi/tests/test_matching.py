"""Statements to people, offerings and engagement events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.directory.models import Person
from inward.learning.models import Offering
from inward.xapi import matching
from inward.xapi.clients import create_client
from inward.xapi.matching import (
    actor_ifi,
    actor_keys,
    event_kind,
    ingest_stored,
    ingest_voided,
    match_statements,
    rematch,
    sha1_people,
)
from inward.xapi.models import Statement
from inward.xapi.tests.records import ADL, COURSE, MODULE, account, mbox, sha1, statement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_sha1_map() -> None:
    sha1_people.clear()


@pytest.fixture
def ann(db: None) -> Person:
    return Person.objects.create(email="ann.smit@example.com", external_id="E-1001")


@pytest.fixture
def course(db: None) -> Offering:
    return Offering.objects.create(
        slug="security-basics", title="Security basics", kind="course", activity_id=COURSE
    )


# --- people ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        mbox("ann.smit@example.com"),
        mbox("Ann.Smit@Example.COM"),
        {"mbox": "MAILTO:ann.smit@example.com"},
        account("ann.smit@example.com"),
        account("ANN.SMIT@example.com"),
        account("E-1001"),
        {"mbox_sha1sum": sha1("mailto:ann.smit@example.com")},
    ],
    ids=["mbox", "mbox-case", "mailto-case", "account-email", "account-case", "external", "sha1"],
)
def test_it_finds_the_person(ann: Person, course: Offering, actor: dict[str, Any]) -> None:
    s = statement(actor, verb=ADL + "experienced")
    ingest_stored([s])
    s.refresh_from_db()
    assert s.person == ann
    assert s.offering == course


@pytest.mark.parametrize(
    "actor",
    [
        mbox("someone.else@example.com"),
        account("E-9999"),
        account("e-1001"),  # external ids are compared as they are
        {"mbox_sha1sum": sha1("mailto:nobody@example.com")},
        {"openid": "https://openid.example.com/ann"},
        {"objectType": "Group", "member": [mbox("ann.smit@example.com")]},
        {"objectType": "Group", "mbox": "mailto:ann.smit@example.com"},
    ],
    ids=[
        "other-mbox",
        "other-account",
        "external-case",
        "other-sha1",
        "openid",
        "group",
        "ifi-group",
    ],
)
def test_it_keeps_unknown_actors_unmatched(
    ann: Person, course: Offering, actor: dict[str, Any]
) -> None:
    s = statement(actor)
    ingest_stored([s])
    s.refresh_from_db()
    assert s.person is None
    assert s.offering == course
    assert not EngagementEvent.objects.exists()


def test_an_mbox_sha1_finds_a_person_added_after_the_map_was_built(
    ann: Person, course: Offering
) -> None:
    digest = sha1("mailto:bo@example.com")
    s1 = statement({"mbox_sha1sum": digest}, verb=ADL + "experienced")
    ingest_stored([s1])
    bo = Person.objects.create(email="bo@example.com")
    s_early = statement({"mbox_sha1sum": digest}, verb=ADL + "experienced")
    ingest_stored([s_early])  # the map is a minute old at most: not found yet
    s_early.refresh_from_db()
    assert s_early.person is None
    assert sha1_people._built_at is not None
    sha1_people._built_at -= sha1_people.MAX_AGE + 1
    s2 = statement({"mbox_sha1sum": digest}, verb=ADL + "experienced")
    ingest_stored([s2])
    s2.refresh_from_db()
    assert s2.person == bo


# --- offerings ------------------------------------------------------------------------


def test_it_finds_the_offering_through_a_parent_or_grouping(ann: Person, course: Offering) -> None:
    by_parent = statement(
        mbox(ann.email),
        ADL + "experienced",
        MODULE,
        context={"contextActivities": {"parent": [{"id": COURSE}]}},
    )
    by_grouping = statement(
        mbox(ann.email),
        ADL + "experienced",
        MODULE,
        context={"contextActivities": {"grouping": [{"id": "x:y"}, {"id": COURSE}]}},
    )
    elsewhere = statement(
        mbox(ann.email),
        ADL + "experienced",
        MODULE,
        context={"contextActivities": {"category": [{"id": COURSE}]}},
    )
    ingest_stored([by_parent, by_grouping, elsewhere])
    for s in (by_parent, by_grouping, elsewhere):
        s.refresh_from_db()
    assert by_parent.offering == course
    assert by_grouping.offering == course
    assert elsewhere.offering is None


def test_a_statement_about_a_statement_has_no_offering(ann: Person, course: Offering) -> None:
    s = statement(mbox(ann.email))
    s.data["object"] = {"objectType": "StatementRef", "id": str(uuid.uuid4())}
    s.save()
    ingest_stored([s])
    s.refresh_from_db()
    assert s.person == ann and s.offering is None


def test_it_matches_a_batch_in_two_queries(
    course: Offering, django_assert_num_queries: Any
) -> None:
    people = Person.objects.bulk_create(
        [Person(email=f"p{i}@example.com", external_id=f"X{i}") for i in range(300)]
    )
    batch = [
        statement(mbox(p.email) if i % 2 else account(f"X{i}"), obj=COURSE if i % 3 else MODULE)
        for i, p in enumerate(people)
    ]
    with django_assert_num_queries(2):
        events = match_statements(batch)
    assert [s.person_id for s in batch] == [p.pk for p in people]
    assert sum(1 for s in batch if s.offering_id == course.pk) == 200
    assert len(events) == 200


# --- verbs and events -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "kind"),
    [
        (ADL + "registered", EventKind.ENROLLED),
        ("https://w3id.org/xapi/tla/verbs/registered", EventKind.ENROLLED),
        ("http://www.tincanapi.co.uk/verbs/enrolled_onto_learning_plan", EventKind.ENROLLED),
        (ADL + "launched", EventKind.STARTED),
        (ADL + "initialized", EventKind.STARTED),
        (ADL + "attempted", EventKind.STARTED),
        (ADL + "completed", EventKind.COMPLETED),
        ("https://w3id.org/xapi/adl/verbs/satisfied", EventKind.COMPLETED),
        (ADL + "passed", EventKind.PASSED),
        (ADL + "shared", EventKind.RECOMMENDED),
        ("http://activitystrea.ms/schema/1.0/share", EventKind.RECOMMENDED),
        (ADL + "experienced", None),
        (ADL + "failed", None),
        (ADL + "voided", None),
    ],
)
def test_verbs_mean_event_kinds(verb: str, kind: str | None) -> None:
    assert event_kind({"verb": {"id": verb}}) == kind


def test_a_completion_result_means_completed() -> None:
    assert event_kind({"verb": {"id": ADL + "experienced"}, "result": {"completion": True}}) == (
        EventKind.COMPLETED
    )
    assert (
        event_kind({"verb": {"id": ADL + "experienced"}, "result": {"completion": False}}) is None
    )
    assert event_kind({"verb": {"id": ADL + "passed"}, "result": {"completion": True}}) == (
        EventKind.PASSED
    )


def test_it_records_an_event_per_meaningful_statement(ann: Person, course: Offering) -> None:
    enrolled = statement(mbox(ann.email), verb=ADL + "registered")
    completed = statement(account("E-1001"), verb=ADL + "completed")
    experienced = statement(mbox(ann.email), verb=ADL + "experienced")
    stranger = statement(mbox("x@example.com"), verb=ADL + "completed")
    other_course = statement(mbox(ann.email), verb=ADL + "completed", obj="https://else/1")
    ingest_stored([enrolled, completed, experienced, stranger, other_course])
    events = list(EngagementEvent.objects.order_by("kind"))
    assert [(e.kind, e.statement_id) for e in events] == [
        (EventKind.COMPLETED, completed.id),
        (EventKind.ENROLLED, enrolled.id),
    ]
    for e in events:
        assert e.source == EventSource.XAPI
        assert e.person_id == ann.pk
        assert e.offering_id == course.pk
        assert e.statement_id is not None
        assert e.occurred_at == Statement.objects.get(pk=e.statement_id).timestamp
        assert e.campaign_id is None


def test_finishing_a_part_of_an_offering_counts_as_starting_it(
    ann: Person, course: Offering
) -> None:
    part = statement(
        mbox(ann.email),
        verb=ADL + "passed",
        obj=MODULE,
        context={"contextActivities": {"parent": [{"id": COURSE}]}},
    )
    ingest_stored([part])
    assert list(EngagementEvent.objects.values_list("kind", flat=True)) == [EventKind.STARTED]


def test_a_voided_statement_makes_no_event_and_voiding_takes_it_back(
    ann: Person, course: Offering
) -> None:
    already = statement(mbox(ann.email), voided=True)
    kept = statement(mbox(ann.email), verb=ADL + "passed")
    ingest_stored([already, kept])
    assert EngagementEvent.objects.filter(statement_id=kept.id).count() == 1
    assert not EngagementEvent.objects.filter(statement_id=already.id).exists()
    ingest_voided([kept.id])
    assert not EngagementEvent.objects.exists()


# --- reading actors -------------------------------------------------------------------


def test_it_shows_an_actor_by_its_identifier() -> None:
    assert actor_ifi(mbox("a@example.com")) == "mailto:a@example.com"
    assert actor_ifi(account("E-1")) == "E-1 @ https://lms.example.com"
    assert actor_ifi({"mbox_sha1sum": "ab"}) == "mbox_sha1sum: ab"
    assert actor_ifi({"openid": "https://id"}) == "openid: https://id"
    assert actor_ifi(None) == ""


json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["mbox", "account", "name", "objectType", "mbox_sha1sum", "id"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=10,
)


# No deadline: on a busy machine a slow example is not a failure.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actor=json, data=st.dictionaries(st.sampled_from(["verb", "result", "object", "context"]), json)
)
def test_reading_any_json_never_fails(actor: Any, data: dict[str, Any]) -> None:
    actor_keys(actor)
    actor_ifi(actor)
    event_kind(data)


def test_matching_again_finds_people_and_offerings_added_later() -> None:
    s = statement(mbox("new.hire@example.com"), verb=ADL + "completed")
    ingest_stored([s])
    assert rematch() == 0
    person = Person.objects.create(email="new.hire@example.com")
    assert rematch() == 1
    s.refresh_from_db()
    assert s.person == person and s.offering is None
    assert not EngagementEvent.objects.exists()
    offering = Offering.objects.create(
        slug="security-basics", title="Security basics", kind="course", activity_id=COURSE
    )
    assert rematch(batch_size=1) == 1
    assert rematch() == 0
    event = EngagementEvent.objects.get()
    assert (event.kind, event.person_id, event.offering_id) == (
        EventKind.COMPLETED,
        person.pk,
        offering.pk,
    )


def test_matching_again_reports_its_progress_after_each_batch() -> None:
    for n in range(5):
        statement(mbox(f"learner{n}@example.com"), verb=ADL + "experienced")
    reports: list[tuple[int, int]] = []
    rematch(batch_size=2, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(2, 5), (4, 5), (5, 5)]


def test_matching_again_leaves_voided_and_other_clients_statements() -> None:
    one, _ = create_client(name="One")
    two, _ = create_client(name="Two")
    a = statement(mbox("a@example.com"), verb=ADL + "experienced", client=one)
    b = statement(mbox("a@example.com"), verb=ADL + "experienced", client=two)
    c = statement(mbox("a@example.com"), verb=ADL + "experienced", client=one, voided=True)
    Person.objects.create(email="a@example.com")
    assert rematch(client_id=one.pk) == 1
    assert [
        x.person_id is not None
        for x in Statement.objects.filter(pk__in=[a.pk, b.pk, c.pk]).order_by("seq")
    ] == [True, False, False]


def test_an_mbox_sha1_of_a_person_since_deleted_or_renamed_finds_nobody(
    ann: Person, course: Offering
) -> None:
    digest = sha1("mailto:ann.smit@example.com")
    ingest_stored([statement({"mbox_sha1sum": digest}, verb=ADL + "experienced")])
    ann.email = "ann.jansen@example.com"
    ann.save()
    renamed = statement({"mbox_sha1sum": digest}, verb=ADL + "experienced")
    ingest_stored([renamed])
    renamed.refresh_from_db()
    assert renamed.person is None
    bo = Person.objects.create(email="bo@example.com")
    ingest_stored([statement({"mbox_sha1sum": sha1("mailto:bo@example.com")})])
    bo.delete()
    gone = statement({"mbox_sha1sum": sha1("mailto:bo@example.com")}, verb=ADL + "experienced")
    ingest_stored([gone])
    gone.refresh_from_db()
    assert gone.person is None


def test_large_batches_are_looked_up_in_chunks(monkeypatch: Any) -> None:
    monkeypatch.setattr(matching, "IN_CHUNK", 7)
    people = Person.objects.bulk_create(
        [Person(email=f"c{i}@example.com", external_id=f"C{i}") for i in range(30)]
    )
    offerings = Offering.objects.bulk_create(
        [
            Offering(slug=f"o{i}", title=f"O {i}", kind="course", activity_id=f"https://o/{i}")
            for i in range(20)
        ]
    )
    batch = [
        statement(
            mbox(p.email) if i % 2 else account(f"C{i}"),
            ADL + "experienced",
            f"https://o/{i % 20}",
        )
        for i, p in enumerate(people)
    ]
    match_statements(batch)
    assert [s.person_id for s in batch] == [p.pk for p in people]
    assert [s.offering_id for s in batch] == [offerings[i % 20].pk for i in range(30)]
