"""When stakeholders last heard from the team, and who is overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from inward.highlights.models import RecipientStatus, StakeholderContact
from inward.highlights.selectors import overdue_stakeholders, stakeholder_status
from inward.highlights.tests.factories import local_days_ago, make_receipt, make_stakeholder

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def test_a_stakeholder_whose_last_digest_is_older_than_the_cadence_is_overdue() -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=200, now=NOW)
    make_receipt(anna, sent_at=days_ago(45))

    [status] = overdue_stakeholders(NOW)

    assert status.stakeholder == anna
    assert (status.days_silent, status.cadence_days, status.overdue_by) == (45, 30, 15)
    assert status.last_heard_on == timezone.localdate(days_ago(45))


def test_exactly_the_cadence_is_not_yet_overdue() -> None:
    bert = make_stakeholder(cadence_days=30, added_days_ago=200, now=NOW)
    make_receipt(bert, sent_at=days_ago(30))

    assert overdue_stakeholders(NOW) == []
    assert stakeholder_status(bert.pk, NOW).days_silent == 30


def test_the_latest_digest_counts_not_the_first() -> None:
    carla = make_stakeholder(cadence_days=14, added_days_ago=200, now=NOW)
    make_receipt(carla, sent_at=days_ago(90))
    make_receipt(carla, sent_at=days_ago(3))

    assert overdue_stakeholders(NOW) == []


def test_a_failed_digest_does_not_count_as_heard() -> None:
    dirk = make_stakeholder(cadence_days=14, added_days_ago=200, now=NOW)
    make_receipt(dirk, sent_at=days_ago(60))
    make_receipt(dirk, sent_at=days_ago(1), status=RecipientStatus.FAILED)

    [status] = overdue_stakeholders(NOW)
    assert status.days_silent == 60


def test_a_contact_logged_by_hand_resets_the_count() -> None:
    eva = make_stakeholder(cadence_days=30, added_days_ago=200, now=NOW)
    make_receipt(eva, sent_at=days_ago(80))
    StakeholderContact.objects.create(stakeholder=eva, contacted_on=timezone.localdate(days_ago(5)))

    status = stakeholder_status(eva.pk, NOW)

    assert status.days_silent == 5
    assert not status.overdue


def test_someone_who_never_heard_anything_counts_from_the_day_they_were_added() -> None:
    new = make_stakeholder(name="New", cadence_days=30, added_days_ago=10, now=NOW)
    old = make_stakeholder(name="Old", cadence_days=30, added_days_ago=40, now=NOW)

    overdue = overdue_stakeholders(NOW)

    assert [status.stakeholder for status in overdue] == [old]
    assert overdue[0].last_heard_on is None
    assert stakeholder_status(new.pk, NOW).days_silent == 10


def test_the_most_overdue_come_first() -> None:
    little = make_stakeholder(name="Little", cadence_days=30, added_days_ago=200, now=NOW)
    much = make_stakeholder(name="Much", cadence_days=7, added_days_ago=200, now=NOW)
    make_receipt(little, sent_at=days_ago(35))
    make_receipt(much, sent_at=days_ago(35))

    assert [s.stakeholder.name for s in overdue_stakeholders(NOW)] == ["Much", "Little"]


def test_the_statuses_take_one_query(django_assert_num_queries: object) -> None:
    for days in (10, 50, 90):
        person = make_stakeholder(cadence_days=30, added_days_ago=200, now=NOW)
        make_receipt(person, sent_at=days_ago(days))
        StakeholderContact.objects.create(stakeholder=person, contacted_on=NOW.date())

    with django_assert_num_queries(1):  # type: ignore[operator]
        overdue_stakeholders(NOW)


def render_warning(user: object) -> str:
    request = RequestFactory().get("/")
    request.user = user  # type: ignore[assignment]
    template = Template("{% load highlights_tags %}{% cadence_warning %}")
    return template.render(Context({"request": request}))


def test_the_home_page_warning_names_overdue_stakeholders_with_links(
    manager_user: object,
) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=200)
    make_receipt(anna, sent_at=local_days_ago(45))

    html = render_warning(manager_user)

    assert "1 stakeholder has heard nothing for longer than their cadence" in html
    assert f'href="/highlights/stakeholders/{anna.pk}/"' in html
    assert "Anna" in html
    assert "45 days without news; cadence: every 30 days" in html
    assert f"/highlights/digests/new/?stakeholder={anna.pk}" in html


def test_the_warning_is_empty_when_nobody_is_overdue(manager_user: object) -> None:
    make_stakeholder(cadence_days=30)

    assert render_warning(manager_user).strip() == ""


def test_employees_do_not_see_the_warning(employee_user: object) -> None:
    make_stakeholder(name="Anna", cadence_days=1, added_days_ago=200)

    assert "Anna" not in render_warning(employee_user)
