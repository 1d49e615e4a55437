"""The results page of a campaign that has reached nobody yet: a helpful empty state, and
no downloads or "Pin a highlight" that would only give all-zero files, for admins and
managers alike. Once someone is reached, the actions are there."""

from __future__ import annotations

from typing import Any

import pytest

from inward.analytics.models import RecipientFunnel
from inward.analytics.tests.worlds import World, results_world
from inward.campaigns.models import CampaignStatus
from inward.campaigns.tests.factories import make_campaign, make_people

pytestmark = pytest.mark.django_db

ACTIONS = ("Download CSV", "Printable report", "Report as PDF", "Pin a highlight")


def results(client: Any, slug: str) -> str:
    response = client.get(f"/analytics/campaigns/{slug}/")
    assert response.status_code == 200
    return str(response.content.decode())


@pytest.mark.parametrize("role", ["admin_user", "manager_user"])
def test_a_draft_nobody_is_in_shows_an_empty_state_without_actions(
    role: str, request: pytest.FixtureRequest, client_as: Any
) -> None:
    campaign = make_campaign(name="Next spring", status=CampaignStatus.DRAFT)

    html = results(client_as(request.getfixturevalue(role)), campaign.slug)

    assert "No results yet" in html
    assert "appear here once someone has been reached" in html
    assert "data-chart" not in html
    for action in ACTIONS:
        assert action not in html, action
    assert f'href="/analytics/campaigns/{campaign.slug}/export.csv"' not in html


@pytest.mark.parametrize("role", ["admin_user", "manager_user"])
def test_people_waiting_for_the_first_touch_are_no_results_yet(
    role: str, request: pytest.FixtureRequest, client_as: Any
) -> None:
    campaign = make_campaign(name="Queued", status=CampaignStatus.RUNNING)
    for person in make_people(7, department="Sales"):
        RecipientFunnel.objects.create(
            campaign=campaign,
            person=person,
            stage=0,
            language=person.language,
            department=person.department,
            site=person.site,
        )

    html = results(client_as(request.getfixturevalue(role)), campaign.slug)

    assert "No results yet" in html
    assert "7 people are waiting for the first touch, but nobody has been reached yet" in html
    assert "funnel-data" not in html
    for action in ACTIONS:
        assert action not in html, action


@pytest.mark.parametrize("role", ["admin_user", "manager_user"])
def test_a_campaign_with_results_offers_its_downloads(
    role: str, request: pytest.FixtureRequest, client_as: Any
) -> None:
    world: World = results_world()

    html = results(client_as(request.getfixturevalue(role)), world.campaign.slug)

    assert "No results yet" not in html
    for action in ACTIONS:
        assert action in html, action


def test_the_breakdown_and_department_tables_stack_with_a_label_per_cell(
    admin_user: Any, client_as: Any
) -> None:
    world = results_world()

    html = results(client_as(admin_user), world.campaign.slug)

    assert html.count("table-stack") == 2  # the breakdown, and the heat map's table
    assert '<span class="stack-label" data-label="Advocated" aria-hidden="true"></span>' in html
