"""In a real browser: the home page's cadence warning opens a digest with the overdue
stakeholder already ticked, and a digest's status badge turns from "Sending" to "Sent" with
the copies, without a reload. axe and the CSP checks run on every page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.campaigns.tests.factories import make_channel
from inward.delivery.models import ChannelKind
from inward.delivery.tests.servers import SmtpServer
from inward.highlights import services
from inward.highlights.models import Digest, DigestStatus, HighlightKind
from inward.highlights.tests.factories import make_digest, make_highlight, make_stakeholder
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_cadence_warning_opens_a_digest_for_the_overdue_stakeholder(page: Page) -> None:
    make_user("mona", Role.MANAGER)
    make_highlight(title="Enrolments in week one")
    make_stakeholder(name="Anna de Vries", cadence_days=7, added_days_ago=22)
    make_stakeholder(name="Bram Smit", cadence_days=30, added_days_ago=2)
    sign_in(page, "mona")
    warning = page.get_by_role("status").filter(has_text="heard nothing for longer")
    expect(warning).to_contain_text(
        "Anna de Vries (nothing yet, added 22 days ago; cadence: every 7 days)"
    )
    check_page(page)

    warning.get_by_role("link", name="Send them a highlight digest").click()

    expect(page.get_by_role("heading", name="Compose a digest")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Anna de Vries")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Bram Smit")).not_to_be_checked()
    check_page(page)


def test_the_stakeholder_page_composes_a_digest_for_them(page: Page) -> None:
    make_user("mona", Role.MANAGER)
    anna = make_stakeholder(name="Anna de Vries", cadence_days=1, added_days_ago=3)
    make_stakeholder(name="Bram Smit")
    sign_in(page, "mona")
    page.goto(f"/highlights/stakeholders/{anna.pk}/")
    expect(page.get_by_role("status")).to_contain_text(
        "3 days without news. They should hear from the team every day."
    )
    check_page(page)

    page.get_by_role("link", name="Compose a digest").click()

    expect(page.get_by_role("checkbox", name="Anna de Vries")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Bram Smit")).not_to_be_checked()


def test_the_digest_badge_follows_the_send_without_a_reload(
    page: Page, settings: Any, smtp_server: SmtpServer
) -> None:
    # The send is queued, not run at once: the page sees "Sending" first, as with a worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_user("mona", Role.MANAGER)
    channel = make_channel(
        ChannelKind.EMAIL,
        name="Learning mail",
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    anna = make_stakeholder(name="Anna de Vries", email="anna@example.com")
    digest = make_digest(
        title="Learning highlights, March",
        highlights=[make_highlight(title="Enrolments in week one")],
        stakeholders=[anna],
        email_channel=channel,
    )
    sign_in(page, "mona")
    page.goto(f"/highlights/digests/{digest.pk}/")
    badge = page.locator("#digest-status")
    expect(badge).to_have_text("Draft")
    check_page(page)

    page.get_by_role("button", name="Send to 1 stakeholder").click()
    expect(badge).to_have_text("Sending")
    expect(page.get_by_role("table").filter(has_text="Anna de Vries")).to_contain_text("Waiting")
    page.evaluate("window.notReloaded = true")

    services.digest_deliver(digest_id=digest.pk)  # what the worker does
    smtp_server.wait_for(1)

    expect(page.get_by_role("cell", name="Sent", exact=True)).to_be_visible()
    expect(badge).to_have_text("Sent")
    expect(badge).to_have_class("badge fs-6 align-middle text-bg-success")
    assert page.evaluate("window.notReloaded === true")
    assert Digest.objects.get().status == DigestStatus.SENT
    check_page(page)


def test_a_quote_cards_edit_button_keeps_its_height(page: Page) -> None:
    make_user("mona", Role.MANAGER)
    make_highlight(title="Enrolments in week one", story="A long story. " * 30)
    make_highlight(HighlightKind.QUOTE, title="In their words")
    sign_in(page, "mona")
    page.goto("/highlights/")
    edit = page.get_by_role("link", name="Edit In their words")
    pin = page.get_by_role("button", name="Unpin In their words")

    heights = [edit.bounding_box()["height"], pin.bounding_box()["height"]]  # type: ignore[index]

    assert abs(heights[0] - heights[1]) < 2 and heights[0] < 40, heights
    check_page(page)
    edit.click()
    expect(page.get_by_label("Campaign")).to_have_value("")
    expect(page.get_by_label("Campaign").locator("option").first).to_have_text("No campaign")
    check_page(page)
