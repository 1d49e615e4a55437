"""In a real browser: pin two highlights (a number and a picture), add a stakeholder,
compose a digest, preview it, send it, and see it arrive at the SMTP server. axe-core and
the CSP checks run on every page (``web/tests/browser.py``)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from inward.campaigns.tests.factories import make_channel
from inward.delivery.models import ChannelKind
from inward.delivery.tests.servers import SmtpServer
from inward.highlights.models import DigestRecipient
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "teal").save(out, format="PNG")
    return out.getvalue()


def pin_number(page: Page) -> None:
    page.get_by_role("link", name="Pin a highlight").first.click()
    expect(page.get_by_role("heading", name="Pin a highlight")).to_be_visible()
    check_page(page)
    page.get_by_role("radio", name="Number").check()
    page.get_by_label("Title").fill("Enrolments in week one")
    page.get_by_label("The number").fill("312")
    page.get_by_label("What it counts").fill("people enrolled")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Enrolments in week one")).to_be_visible()
    check_page(page)


def pin_picture(page: Page) -> None:
    page.get_by_role("link", name="Pin a highlight").first.click()
    page.get_by_role("radio", name="Picture").check()
    page.get_by_label("Title").fill("The kick-off")
    page.get_by_label("Picture file").set_input_files(
        files=[{"name": "kickoff.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.get_by_label("Describe the picture").fill("A full room at the kick-off")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("img", name="A full room at the kick-off")).to_be_visible()
    check_page(page)


def add_stakeholder(page: Page) -> None:
    page.get_by_role("link", name="Stakeholders").click()
    expect(page.get_by_text("No stakeholders yet")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Add a stakeholder").first.click()
    check_page(page)
    page.get_by_label("Name").fill("Anna de Vries")
    page.get_by_label("E-mail address").fill("anna@example.com")
    page.get_by_label("Hear from the team every … days").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Anna de Vries")).to_be_visible()
    check_page(page)


def compose_and_send(page: Page, smtp_server: SmtpServer) -> None:
    page.goto("/highlights/digests/")
    expect(page.get_by_text("No digests yet")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Compose a digest").first.click()
    check_page(page)
    page.get_by_label("Title").fill("Learning highlights, March")
    page.get_by_label("Introduction").fill("Three weeks in, this is what happened.")
    page.get_by_role("checkbox", name="Enrolments in week one").check()
    page.get_by_role("checkbox", name="The kick-off").check()
    page.get_by_role("checkbox", name="Anna de Vries").check()
    page.get_by_label("E-mail channel").select_option(label="Learning mail")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_text("312 people enrolled", exact=True)).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Send to 1 stakeholder").click()
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["anna@example.com"]
    html = received.message.get_body(("html",)).get_content()
    assert "<strong>312</strong> people enrolled" in html
    expect(page.get_by_role("cell", name="Sent", exact=True)).to_be_visible()
    check_page(page)


def test_a_manager_sends_a_highlight_digest_and_it_arrives(
    page: Page, live_server: Any, smtp_server: SmtpServer
) -> None:
    make_user("mona", "manager")
    make_channel(
        ChannelKind.EMAIL,
        name="Learning mail",
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    sign_in(page, "mona")
    page.goto("/highlights/")
    expect(page.get_by_text("No highlights yet")).to_be_visible()
    check_page(page)

    pin_number(page)
    pin_picture(page)
    add_stakeholder(page)
    compose_and_send(page, smtp_server)

    page.get_by_role("link", name="Anna de Vries").click()
    expect(page.get_by_role("link", name="Learning highlights, March")).to_be_visible()
    check_page(page)
    assert DigestRecipient.objects.get().status == "sent"
