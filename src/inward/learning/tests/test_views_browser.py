"""The learning catalogue in a real browser: axe-core on every page, adding an offering,
and linking a campaign to it with a touch that only goes to people who have not enrolled."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.audiences.models import Persona
from inward.campaigns.models import Campaign, Touch
from inward.campaigns.tests.factories import make_audience, make_campaign, make_channel, make_touch
from inward.delivery.models import ChannelKind
from inward.learning.models import Offering, OfferingKind, OfferingPersona
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def visit(page: Page, url: str) -> None:
    page.goto(url)
    check_page(page)


@pytest.fixture
def catalogue() -> dict[str, Any]:
    make_user("mona", Role.MANAGER)
    make_user("chris", Role.CHANNEL_OWNER)
    persona = Persona.objects.create(name="New manager Nina", wiifm="Lead with confidence")
    offering = Offering.objects.create(
        slug="leadership-101",
        title="Leadership 101",
        kind=OfferingKind.COURSE,
        activity_id="https://lms.example.com/courses/leadership-101",
        url="https://learn.example.com/leadership",
        description="Six weekly sessions.",
    )
    OfferingPersona.objects.create(offering=offering, persona=persona, wiifm="Lead with ease")
    campaign = make_campaign(name="Lead the way", slug="lead", audience=make_audience())
    campaign.offering = offering
    campaign.save()
    touch = make_touch(campaign, make_channel(ChannelKind.EMAIL), name="Reminder")
    Touch.objects.filter(pk=touch.pk).update(condition_rule='not enrolled("leadership-101")')
    return {"offering": offering, "campaign": campaign, "touch": touch}


def test_every_learning_page_passes_axe(page: Page, catalogue: dict[str, Any]) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    for url in (
        "/learning/",
        "/learning/?q=nothing",
        "/learning/new/",
        "/learning/leadership-101/",
        "/learning/leadership-101/edit/",
        "/learning/leadership-101/personas/",
        "/learning/leadership-101/delete/",
        "/campaigns/lead/",
        f"/campaigns/lead/touches/{catalogue['touch'].pk}/",
    ):
        visit(page, url)
    page.get_by_role("button", name="Dark theme").click()
    visit(page, "/learning/leadership-101/")


def test_an_empty_catalogue_passes_axe(page: Page) -> None:
    make_user("chris", Role.CHANNEL_OWNER)
    sign_in(page, "chris", heading="Welcome to Inward")
    visit(page, "/learning/")
    expect(page.get_by_role("heading", name="No offerings yet")).to_be_visible()


def test_a_planner_adds_an_offering_and_links_a_campaign_to_it(
    page: Page, catalogue: dict[str, Any]
) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    page.goto("/learning/new/")
    page.get_by_label("Title").fill("Coaching conversations")
    expect(page.get_by_label("Slug")).to_have_value("coaching-conversations")
    page.get_by_label("Kind").select_option("event")
    page.get_by_label("xAPI activity id").fill("https://lms.example.com/events/coaching")
    page.get_by_role("button", name="Save offering").click()
    expect(page.get_by_role("heading", name="Coaching conversations")).to_be_visible()
    check_page(page)
    offering = Offering.objects.get(slug="coaching-conversations")
    assert offering.kind == OfferingKind.EVENT

    page.goto("/campaigns/lead/edit/")
    page.get_by_label("Learning offering (optional)").select_option(label="Coaching conversations")
    page.get_by_role("button", name="Save campaign").click()
    page.get_by_role("link", name="Coaching conversations").click()
    expect(page.get_by_role("link", name="Lead the way")).to_be_visible()
    assert Campaign.objects.get(slug="lead").offering == offering


def test_the_touch_form_points_at_a_mistake_in_the_rule(
    page: Page, catalogue: dict[str, Any]
) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    page.goto(f"/campaigns/lead/touches/{catalogue['touch'].pk}/")
    rule = page.get_by_label("Only if")
    expect(rule).to_have_value('not enrolled("leadership-101")')
    rule.fill('not enrolled("leadership-11")')
    page.get_by_role("button", name="Save touch").click()
    expect(
        page.get_by_text('line 1, column 5: there is no learning offering "leadership-11"')
    ).to_be_visible()
    check_page(page)
    rule.fill('not completed("leadership-101", 30d)')
    page.get_by_role("button", name="Save touch").click()
    expect(page.get_by_text('not completed("leadership-101", 30d)')).to_be_visible()
