"""The offering services: what they refuse, and that a refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from inward.learning.errors import OfferingError
from inward.learning.models import Offering, OfferingKind
from inward.learning.services import offering_create, offering_update

pytestmark = pytest.mark.django_db


def make_offering(slug: str, activity_id: str) -> Offering:
    return offering_create(
        actor=None, slug=slug, title=slug.title(), kind=OfferingKind.COURSE, activity_id=activity_id
    )


def test_it_reports_every_problem_at_once() -> None:
    make_offering("coaching", "https://lms.example.com/coaching")
    with pytest.raises(OfferingError) as caught:
        offering_create(
            actor=None,
            slug="coaching",
            title="Coaching again",
            kind=OfferingKind.COURSE,
            activity_id="https://lms.example.com/coaching",
            starts_on=dt.date(2026, 3, 2),
            ends_on=dt.date(2026, 3, 1),
        )
    problems = [(p.code, p.field) for p in caught.value.all()]
    assert problems == [
        ("slug_taken", "slug"),
        ("activity_id_taken", "activity_id"),
        ("dates", "ends_on"),
    ]
    assert caught.value.message == "Another offering already uses this slug."


def test_it_leaves_the_offering_as_it_was_when_it_refuses_an_update() -> None:
    offering = make_offering("coaching", "https://lms.example.com/coaching")
    make_offering("other", "https://lms.example.com/other")
    with pytest.raises(OfferingError) as caught:
        offering_update(
            actor=None,
            offering=offering,
            title="New title",
            activity_id="https://lms.example.com/other",
        )
    assert caught.value.code == "activity_id_taken"
    assert (offering.title, offering.activity_id) == (
        "Coaching",
        "https://lms.example.com/coaching",
    )
