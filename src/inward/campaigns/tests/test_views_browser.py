"""The campaign pages in a real browser: axe-core on each, the timing fields that follow the
choice, the person picker and the live preview, and moving touches from the keyboard."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.audiences.models import Persona
from inward.campaigns.models import Blackout, CampaignStatus, ExternalCampaign
from inward.campaigns.tests.briefs import complete_brief
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.models import ChannelKind
from inward.directory.models import Person
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SHOTS = os.environ.get("INWARD_SCREENSHOTS", "")


def visit(page: Page, url: str, name: str = "") -> None:
    page.goto(url)
    check_page(page)
    if SHOTS and name:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def planned() -> dict[str, Any]:
    owner = make_user("chris", Role.CHANNEL_OWNER)
    make_user("mona", Role.MANAGER)
    Person.objects.create(email="mona@example.com", first_name="Mona", last_name="Planner")
    make_people(3)
    Person.objects.create(email="zoe@example.com", first_name="Zoë", last_name="Bakker")
    email = make_channel(ChannelKind.EMAIL, name="Company e-mail")
    email.owners.add(owner)
    make_channel(ChannelKind.CALENDAR, name="Calendar invites")
    audience = make_audience(name="Sales")
    Persona.objects.create(name="New seller", audience=audience, wiifm="Close deals faster")
    external = ExternalCampaign.objects.create(
        slug="spring-sale", name="Spring sale", launch_at=timezone.now() + dt.timedelta(days=20)
    )
    campaign = complete_brief(make_campaign(name="Onboarding", audience=audience))
    soon = timezone.now() + dt.timedelta(days=1)
    first = make_touch(campaign, email, name="Welcome", send_at=soon, approved=False)
    make_touch(campaign, email, name="Reminder", send_at=soon + dt.timedelta(hours=3))
    review = make_campaign(name="Town hall", audience=audience, status=CampaignStatus.IN_REVIEW)
    make_touch(review, email, name="Save the date", send_at=soon, approved=False)
    Blackout.objects.create(date=timezone.localdate() + dt.timedelta(days=2), reason="Holiday")
    return {"campaign": campaign, "touch": first, "external": external}


def test_every_campaign_page_passes_axe(page: Page, planned: dict[str, Any]) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    slug, touch = planned["campaign"].slug, planned["touch"].pk
    variant = planned["touch"].variants.get().pk
    for url, name in [
        ("/campaigns/", "list"),
        ("/campaigns/new/", "create"),
        (f"/campaigns/{slug}/", "detail"),
        (f"/campaigns/{slug}/brief/", "brief"),
        (f"/campaigns/{slug}/touches/{touch}/", "touch"),
        (f"/campaigns/{slug}/touches/new/", "touch-new"),
        (f"/campaigns/{slug}/touches/{touch}/variants/{variant}/", "variant"),
        (f"/campaigns/{slug}/cancel/", "cancel"),
        ("/campaigns/calendar/", "calendar-month"),
        ("/campaigns/calendar/?view=week", "calendar-week"),
        ("/campaigns/blackouts/", "blackouts"),
        ("/campaigns/external/", "external"),
        ("/campaigns/external/spring-sale/", "external-edit"),
        ("/campaigns/external/spring-sale/launch-kit/", "launch-kit"),
    ]:
        visit(page, url, name)
    page.get_by_role("button", name="Dark theme").click()
    visit(page, "/campaigns/calendar/", "calendar-dark")
    visit(page, f"/campaigns/{slug}/", "detail-dark")


def test_the_approvals_inbox_passes_axe(page: Page, planned: dict[str, Any]) -> None:
    sign_in(page, "chris", heading="Welcome to Inward")
    visit(page, "/campaigns/approvals/", "approvals")
    expect(page.get_by_role("heading", name="Save the date")).to_be_visible()


def test_the_touch_form_shows_only_the_timing_fields_that_apply(
    page: Page, planned: dict[str, Any]
) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    visit(page, f"/campaigns/{planned['campaign'].slug}/touches/new/")
    expect(page.get_by_label("Date and time")).to_be_visible()
    expect(page.get_by_label("Days")).to_be_hidden()
    expect(page.get_by_label("Of the earlier touch")).to_be_hidden()
    expect(page.get_by_label("Event location")).to_be_hidden()
    page.get_by_label("When", exact=True).select_option("campaign_start")
    expect(page.get_by_label("Date and time")).to_be_hidden()
    expect(page.get_by_label("Days")).to_be_visible()
    page.get_by_label("Who", exact=True).select_option("not_opened")
    expect(page.get_by_label("Of the earlier touch")).to_be_visible()
    page.get_by_label("Channel").select_option(label="Calendar invites")
    expect(page.get_by_label("Event location")).to_be_visible()
    check_page(page)


def test_the_preview_follows_the_words_and_the_chosen_person(
    page: Page, planned: dict[str, Any]
) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    campaign, touch = planned["campaign"], planned["touch"]
    visit(page, f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/new/")
    page.get_by_label("Subject").fill("Hello {{ person.first_name }}")
    page.get_by_label("Message", exact=True).fill("You can [join](https://x.example/) today.")
    preview = page.locator("#preview-area")
    expect(preview).to_contain_text("Hello Mona")
    page.get_by_label("Someone else").fill("bakker")
    page.get_by_role("button", name="Zoë Bakker").click()
    expect(preview).to_contain_text("Hello Zoë")
    expect(preview).to_contain_text("One clear call to action.")
    page.get_by_label("Message", exact=True).fill("Hi\n{{ person.shoe_size }}")
    expect(preview).to_contain_text("Line 2")
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/preview.png", full_page=True)


def test_touches_move_with_the_keyboard(page: Page, planned: dict[str, Any]) -> None:
    sign_in(page, "mona", heading="Welcome to Inward")
    visit(page, f"/campaigns/{planned['campaign'].slug}/")
    page.get_by_role("button", name="Down Welcome").focus()
    page.keyboard.press("Enter")
    journey = page.locator("ol.journey > li h3")
    expect(journey).to_have_text(["Reminder", "Welcome"])
    check_page(page)
    expect(page.locator(f"#touch-{planned['touch'].pk}")).to_be_focused()
