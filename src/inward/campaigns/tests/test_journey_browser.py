"""A whole campaign in a real browser: a planner plans three touches, the channel owner
approves them, the sender runs, and the messages arrive at a real SMTP server and in an
employee's feed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.audiences.models import Persona
from inward.campaigns.models import Campaign, CampaignStatus
from inward.campaigns.tests.factories import make_audience, make_channel, make_people
from inward.delivery.models import ChannelKind, DeliverySettings, DeliveryStatus
from inward.delivery.selectors import delivery_counts
from inward.delivery.tests.servers import SmtpServer
from inward.directory.models import Department, Person
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ZONE = zoneinfo.ZoneInfo("Europe/Amsterdam")


def wall_clock(moment: dt.datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def organisation(smtp: SmtpServer) -> dict[str, Any]:
    make_user("mona", Role.MANAGER)
    owner = make_user("chris", Role.CHANNEL_OWNER)
    make_user("emma", Role.EMPLOYEE)
    people = make_people(4, department="Sales")
    sales = Department.objects.get(path="Sales")
    Person.objects.create(
        email="emma@example.com", first_name="Emma", last_name="Visser", department=sales
    )
    audience = make_audience('department = "Sales"', name="Sales", slug="sales")
    Persona.objects.create(name="New seller", audience=audience)
    mail = make_channel(
        ChannelKind.EMAIL,
        name="Company e-mail",
        config={
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "from_addr": "Learning <learning@example.com>",
        },
    )
    feed = make_channel(ChannelKind.INTRANET, name="Intranet feed")
    for channel in (mail, feed):
        channel.owners.add(owner)
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))
    return {"people": [*people, Person.objects.get(email="emma@example.com")]}


def plan_campaign(page: Page) -> None:
    page.goto("/campaigns/new/")
    check_page(page)
    page.get_by_label("Name", exact=True).fill("Negotiation 101")
    page.get_by_label("Slug").fill("negotiation-101")
    page.locator("#id_purpose").select_option("persuade")
    page.locator("#id_audience").select_option(label="Sales")
    page.get_by_label("Starts").fill(wall_clock(timezone.now() - dt.timedelta(minutes=5)))
    page.get_by_label("Ends").fill(wall_clock(timezone.now() + dt.timedelta(days=30)))
    page.get_by_role("button", name="Save campaign").click()

    check_page(page)  # the brief
    page.get_by_label("Channels this audience actually uses").fill("E-mail, the intranet")
    page.get_by_label("Who engages today, and how").fill("Sellers read mail before 9")
    page.get_by_label("Goal metric").fill("Enrolments")
    page.get_by_label("Target").fill("40 by June")
    page.get_by_label("How long the campaign runs, and why").fill("A month: one sales cycle")
    page.get_by_label("New seller").fill("Close bigger deals with less discount")
    page.get_by_role("button", name="Save brief").click()
    expect(page.get_by_text("The brief is complete")).to_be_visible()


def add_touch(page: Page, name: str, channel: str, subject: str, *, critical: bool) -> None:
    page.goto("/campaigns/negotiation-101/touches/new/")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Channel").select_option(label=channel)
    page.get_by_label("Date and time").fill(wall_clock(timezone.now()))
    if critical:
        page.get_by_label("Critical").check()
    page.get_by_role("button", name="Add touch").click()
    check_page(page)  # the message editor
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=True).fill(
        "Hi {{ person.first_name }}, you can [enrol here](https://learn.example.com/neg101)."
    )
    expect(page.locator("#preview-area")).to_contain_text("enrol here")
    page.get_by_role("button", name="Save message").first.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_a_planned_approved_campaign_reaches_the_mail_server_and_the_feed(
    page: Page, organisation: dict[str, Any], smtp: SmtpServer
) -> None:
    # Given a planner who plans a three-touch journey and submits it
    sign_in(page, "mona")
    plan_campaign(page)
    add_touch(page, "Tease", "Company e-mail", "{{ person.first_name }}, ready?", critical=False)
    add_touch(page, "Launch", "Company e-mail", "Negotiation 101 is open", critical=False)
    add_touch(page, "Brief", "Intranet feed", "What changes for sellers", critical=True)
    page.goto("/campaigns/negotiation-101/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("In review").first).to_be_visible()

    # When the channel owner approves every touch
    sign_in(page, "chris")
    page.goto("/campaigns/approvals/")
    check_page(page)
    for name in ("Tease", "Launch", "Brief"):
        page.get_by_role("button", name=f"Approve {name}").click()
    expect(page.get_by_text("Nothing waits for you")).to_be_visible()

    # And the planner launches it, and the sender runs
    sign_in(page, "mona")
    page.goto("/campaigns/negotiation-101/launch/")
    page.get_by_role("button", name="Yes, launch it").click()
    campaign = Campaign.objects.get(slug="negotiation-101")
    assert campaign.status == CampaignStatus.SCHEDULED
    call_command("deliver", "--once", "--worker-id", "browser-test")

    # Then every person got both e-mails once, personalised, at the real SMTP server
    smtp.wait_for(10)
    people = organisation["people"]
    assert smtp.recipients() == {person.email: 2 for person in people}
    assert max(smtp.message_ids().values()) == 1
    emma_mail = [m for m in smtp.messages if m["To"].addresses[0].username == "emma"]
    assert sorted(str(m["Subject"]) for m in emma_mail) == [
        "Emma, ready?",
        "Negotiation 101 is open",
    ]
    assert delivery_counts(campaign=campaign)[DeliveryStatus.SENT] == 15

    # And the campaign page shows the outcome
    page.goto("/campaigns/negotiation-101/")
    check_page(page)
    expect(page.locator("#campaign-progress")).to_contain_text("15 of 15 deliveries done (100%)")

    # And the employee finds the critical brief in her feed and acknowledges it
    sign_in(page, "emma")
    page.goto("/feed/")
    check_page(page)
    page.get_by_role("link", name="What changes for sellers").first.click()
    expect(page.get_by_text("Hi Emma, you can")).to_be_visible()
    page.get_by_role("button", name="I have read this").click()
    check_page(page)
    item = Person.objects.get(email="emma@example.com").feed_items.get()
    assert item.read_at is not None and item.acknowledged_at is not None
