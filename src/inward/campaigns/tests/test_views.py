"""The campaign pages as each persona sees them: who may open what, and what the CSP forbids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from inward.campaigns.models import Blackout, Campaign, ExternalCampaign, Touch
from inward.campaigns.tests.factories import make_campaign, make_channel, make_touch

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)


@dataclass
class World:
    campaign: Campaign
    touch: Touch
    external: ExternalCampaign
    blackout: Blackout

    def read_pages(self) -> list[str]:
        slug, touch = self.campaign.slug, self.touch.pk
        return [
            "/campaigns/",
            "/campaigns/?status=draft&team=learning&sort=name&q=Camp",
            "/campaigns/calendar/",
            "/campaigns/calendar/?view=week&date=2026-03-04",
            "/campaigns/blackouts/",
            "/campaigns/external/",
            f"/campaigns/{slug}/",
            f"/campaigns/{slug}/progress/",
            f"/campaigns/{slug}/touches/{touch}/",
        ]

    def edit_pages(self) -> list[str]:
        slug, touch = self.campaign.slug, self.touch.pk
        variant = self.touch.variants.get().pk
        return [
            "/campaigns/new/",
            f"/campaigns/{slug}/edit/",
            f"/campaigns/{slug}/brief/",
            f"/campaigns/{slug}/launch/",
            f"/campaigns/{slug}/cancel/",
            f"/campaigns/{slug}/touches/new/",
            f"/campaigns/{slug}/touches/{touch}/delete/",
            f"/campaigns/{slug}/touches/{touch}/variants/new/",
            f"/campaigns/{slug}/touches/{touch}/variants/{variant}/",
            "/campaigns/external/new/",
            f"/campaigns/external/{self.external.slug}/",
            f"/campaigns/external/{self.external.slug}/launch-kit/",
            "/campaigns/people/?person_q=first",
        ]

    def edit_posts(self) -> list[str]:
        slug, touch = self.campaign.slug, self.touch.pk
        return [
            "/campaigns/new/",
            f"/campaigns/{slug}/edit/",
            f"/campaigns/{slug}/brief/",
            f"/campaigns/{slug}/submit/",
            f"/campaigns/{slug}/launch/",
            f"/campaigns/{slug}/cancel/",
            f"/campaigns/{slug}/touches/new/",
            f"/campaigns/{slug}/touches/{touch}/",
            f"/campaigns/{slug}/touches/{touch}/delete/",
            f"/campaigns/{slug}/touches/{touch}/move/",
            f"/campaigns/{slug}/touches/{touch}/variants/new/",
            f"/campaigns/{slug}/touches/{touch}/preview/",
            f"/campaigns/blackouts/{self.blackout.pk}/delete/",
            "/campaigns/blackouts/",
            "/campaigns/external/new/",
            f"/campaigns/external/{self.external.slug}/launch-kit/",
        ]


@pytest.fixture
def world(channel_owner_user: Any) -> World:
    channel = make_channel()
    channel.owners.add(channel_owner_user)
    external = ExternalCampaign.objects.create(
        slug="spring-sale", name="Spring sale", launch_at=timezone.now()
    )
    campaign = make_campaign(external_campaign=external)
    touch = make_touch(campaign, channel, approved=False)
    blackout = Blackout.objects.create(date=timezone.localdate(), reason="King's Day")
    return World(campaign, touch, external, blackout)


EDITORS = ["admin_user", "manager_user"]


@pytest.mark.parametrize("role", EDITORS)
def test_it_opens_every_page_to_planners(
    role: str, request: pytest.FixtureRequest, client_as: Any, world: World
) -> None:
    client = client_as(request.getfixturevalue(role))
    for url in world.read_pages() + world.edit_pages():
        assert client.get(url).status_code == 200, url


def test_it_lets_channel_owners_read_but_not_plan(
    channel_owner_user: Any, client_as: Any, world: World
) -> None:
    client = client_as(channel_owner_user)
    for url in world.read_pages():
        assert client.get(url).status_code == 200, url
    for url in world.edit_pages():
        assert client.get(url).status_code == 403, url
    for url in world.edit_posts():
        assert client.post(url, {"name": "Hacked", "direction": "up"}).status_code == 403, url
    assert Campaign.objects.get().name != "Hacked"
    assert Blackout.objects.count() == 1


def test_it_shows_channel_owners_a_touch_without_a_save_button(
    channel_owner_user: Any, client_as: Any, world: World
) -> None:
    page = client_as(channel_owner_user).get(
        f"/campaigns/{world.campaign.slug}/touches/{world.touch.pk}/"
    )
    html = page.content.decode()
    assert "<fieldset disabled>" in html
    assert "Save touch" not in html


def test_it_refuses_every_page_to_employees(
    employee_user: Any, client_as: Any, world: World
) -> None:
    client = client_as(employee_user)
    for url in [*world.read_pages(), *world.edit_pages(), "/campaigns/approvals/"]:
        assert client.get(url).status_code == 403, url
    for url in world.edit_posts():
        assert client.post(url, {}).status_code == 403, url
    assert client.post(f"/campaigns/approvals/{world.touch.pk}/", {}).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "outsider_user"])
def test_it_sends_anonymous_and_deactivated_users_to_sign_in(
    who: str, request: pytest.FixtureRequest, client: Any, world: World
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in [*world.read_pages(), *world.edit_pages(), "/campaigns/approvals/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_it_opens_the_approvals_inbox_to_admins_and_channel_owners_only(
    client_as: Any, admin_user: Any, manager_user: Any, channel_owner_user: Any, world: World
) -> None:
    assert client_as(admin_user).get("/campaigns/approvals/").status_code == 200
    assert client_as(channel_owner_user).get("/campaigns/approvals/").status_code == 200
    assert client_as(manager_user).get("/campaigns/approvals/").status_code == 403
    response = client_as(manager_user).post(
        f"/campaigns/approvals/{world.touch.pk}/", {"decision": "approve"}
    )
    assert response.status_code == 403


def test_it_refuses_an_approval_from_the_owner_of_another_channel(
    client_as: Any, channel_owner_user: Any, world: World
) -> None:
    other = make_channel()
    other.owners.add(channel_owner_user)
    world.touch.channel.owners.clear()
    response = client_as(channel_owner_user).post(
        f"/campaigns/approvals/{world.touch.pk}/", {"decision": "approve"}
    )
    assert response.status_code == 403


def test_it_answers_404_for_a_missing_campaign_touch_or_variant(
    client_as: Any, manager_user: Any, world: World
) -> None:
    client = client_as(manager_user)
    slug = world.campaign.slug
    for url in [
        "/campaigns/nope/",
        f"/campaigns/{slug}/touches/999999/",
        f"/campaigns/{slug}/touches/{world.touch.pk}/variants/999999/",
        "/campaigns/external/nope/",
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["admin_user", "manager_user", "channel_owner_user"])
def test_it_shows_the_campaign_navigation_to_staff(
    role: str, request: pytest.FixtureRequest, client_as: Any
) -> None:
    user = request.getfixturevalue(role)
    html = client_as(user).get("/campaigns/").content.decode()
    assert 'href="/campaigns/"' in html
    assert 'href="/campaigns/calendar/"' in html
    shows_approvals = role != "manager_user"
    assert ('href="/campaigns/approvals/"' in html) is shows_approvals


def test_it_hides_the_campaign_navigation_from_employees(
    client_as: Any, employee_user: Any
) -> None:
    html = client_as(employee_user).get("/me/").content.decode()
    assert 'href="/campaigns/' not in html


@pytest.mark.parametrize("role", ["admin_user", "channel_owner_user"])
def test_it_renders_no_inline_script_style_or_handler(
    role: str, request: pytest.FixtureRequest, client_as: Any, world: World
) -> None:
    client = client_as(request.getfixturevalue(role))
    pages = [*world.read_pages(), *world.edit_pages(), "/campaigns/approvals/"]
    world.campaign.status = "in_review"
    world.campaign.save()
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"inline <script> on {url}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"
        assert not INLINE_STYLE.search(html), f"inline style on {url}"
