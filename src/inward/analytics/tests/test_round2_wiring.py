"""The results page and the printable report show what the report now carries: the note
that says what touch rows count, and "at least N" for a hidden day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inward.analytics.models import FunnelStage
from inward.analytics.tests.worlds import World, add_recipient, results_world
from inward.campaigns.tests.factories import make_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return results_world()


def test_the_touch_breakdown_says_what_its_rows_count(
    client_as: Any, admin_user: Any, world: World
) -> None:
    client = client_as(admin_user)
    touch = client.get(world.url("breakdown/"), {"dimension": "touch"}).content.decode()
    assert (
        'id="breakdown-note"' in touch and "Each row counts the people who got that touch" in touch
    )
    department = client.get(world.url("breakdown/"), {"dimension": "department"}).content.decode()
    assert 'id="breakdown-note"' not in department
    report = client.get(world.url("report/")).content.decode()
    assert "Each row counts the people who got that touch" in report


def test_a_hidden_day_reads_at_least_the_last_shown_number(
    client_as: Any, manager_user: Any, world: World
) -> None:
    # Two people reached five days after the first fifteen (a change under 5: hidden),
    # six more three days later (shown again).
    for days, how_many in ((5, 2), (8, 6)):
        when = world.campaign.starts_at + dt.timedelta(days=days)
        for person in make_people(how_many, department="Sales"):
            add_recipient(world.campaign, world.touch, person, FunnelStage.REACHED, when)
    page = client_as(manager_user).get(world.url())
    points = page.context["report"].over_time
    hidden = [(floor, n) for point in points for n, floor in point.cells[1:] if n is None and floor]
    html = page.content.decode()
    assert hidden, "the world has days whose change is under the minimum"
    assert f"at least {hidden[0][0]}" in html
    assert "Gaps in a line" not in html
