"""The demo journey in a real browser, on the real demo data: a manager opens the finished
demo campaign "Leading at Acme", reads its funnel (the numbers a manager may see, charts
drawn), exports the CSV (the same totals, formula-safe), pins a number from the results as
a highlight, sends a digest with it to a demo stakeholder, sees the e-mail arrive at a real
SMTP server, and finds that the stakeholder last heard from the team today.

axe-core and the CSP checks run on every page visited (``web/tests/browser.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import dateformat, timezone
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.analytics.demo import SLUG
from inward.analytics.selectors import funnel_report
from inward.campaigns.models import Campaign, CampaignStatus
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.selectors import viewer_minimum
from inward.delivery.tests.servers import SmtpServer
from inward.directory.demo import demo_build
from inward.highlights.models import DigestRecipient
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PEOPLE = 300  # enough for every stage of the demo funnel, small enough to build in seconds
MANAGER = "mona"
STAKEHOLDER = "Marieke de Vries"  # a demo stakeholder who has heard nothing for 45 days
# What a spreadsheet would run as a formula at the start of a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A touch name a spreadsheet would run: the export must keep it text.
HOSTILE_TOUCH = '=HYPERLINK("https://evil.example/","Last call")'
CHARTS = ("funnel-data", "time-data", "heatmap-data")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def campaign(smtp_server: SmtpServer) -> Campaign:
    """The demo company, its finished campaign, and the demo e-mail channel pointed at the
    test SMTP server (the demo leaves it on Inward's own mail settings)."""
    demo_build(people=PEOPLE)
    made = Campaign.objects.get(slug=SLUG)
    assert made.status == CampaignStatus.COMPLETED
    # Someone named a touch like a formula; everything else is the demo as built.
    made.touches.filter(name="Last call").update(name=HOSTILE_TOUCH)
    mail = Channel.objects.get(slug="demo-email", kind=ChannelKind.EMAIL)
    mail.config = {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    mail.save()
    return made


def _charts_drawn(page: Page) -> None:
    for chart in CHARTS:
        drawn = page.locator(f'[data-chart="{chart}"][data-chart-ready="true"] svg')
        expect(drawn.first).to_be_visible()


def _funnel_on_page(page: Page) -> dict[str, str]:
    """Stage label → the "People" cell, as the funnel table shows them."""
    table = page.get_by_role("table", name="People at each stage", exact=True)
    expect(table).to_be_visible()
    shown: dict[str, str] = {}
    for row in table.locator("tbody tr").all():
        stage, people = row.locator("th").inner_text(), row.locator("td").first.inner_text()
        shown[stage.strip()] = people.strip()
    return shown


def _open_results(page: Page) -> dict[str, str]:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="Campaigns", level=1)).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Leading at Acme", exact=True).click()
    expect(page.get_by_role("heading", name="Leading at Acme", level=1)).to_contain_text(
        "Completed"
    )
    expect(page).to_have_title("Leading at Acme · Inward")
    check_page(page)

    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", name="Results: Leading at Acme")).to_be_visible()
    _charts_drawn(page)
    funnel = page.get_by_role("img", name="Funnel chart: people at each stage.", exact=False)
    expect(funnel).to_be_visible()
    check_page(page)
    return _funnel_on_page(page)


def _export_csv(page: Page) -> list[list[str]]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    today = timezone.localdate()
    assert download.suggested_filename == f"{SLUG}-results-{today:%Y-%m-%d}.csv"
    raw = Path(download.path()).read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV starts with a byte order mark for Excel"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _pin_number(page: Page, *, title: str, number: str, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Highlights").click()
    expect(page.get_by_role("heading", name="Highlights", level=1)).to_be_visible()
    # The demo's own highlights are there already.
    expect(
        page.get_by_role("heading", name="Team leads enrolled in Leading at Acme")
    ).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Pin a highlight").first.click()
    expect(page.get_by_role("heading", name="Pin a highlight")).to_be_visible()
    check_page(page)
    page.get_by_role("radio", name="Number").check()
    page.get_by_label("Title").fill(title)
    page.get_by_label("The number").fill(number)
    page.get_by_label("What it counts").fill(label)
    page.get_by_label("Campaign").select_option(label="Leading at Acme")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Highlights of “Leading at Acme”")).to_be_visible()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    check_page(page)


def _compose_and_send(
    page: Page, smtp_server: SmtpServer, *, subject: str, highlight: str, says: str
) -> None:
    page.get_by_role("link", name="Compose a digest").first.click()
    expect(page.get_by_role("heading", name="Compose a digest")).to_be_visible()
    check_page(page)
    page.get_by_label("Title").fill(subject)
    page.get_by_label("Introduction").fill("Leading at Acme has finished. The results are in.")
    page.get_by_role("checkbox", name=highlight, exact=True).check()
    page.get_by_role("checkbox", name=STAKEHOLDER, exact=True).check()
    page.get_by_label("E-mail channel").select_option(label="E-mail")
    page.get_by_role("button", name="Save and preview").click()

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_text(says, exact=True)).to_be_visible()
    expect(page.get_by_text("From the campaign “Leading at Acme”", exact=True)).to_be_visible()
    check_page(page)
    assert smtp_server.received == []

    page.get_by_role("button", name="Send to 1 stakeholder").click()
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["marieke.devries@example.com"]
    message = received.message
    assert message["Subject"] == subject
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html = html_part.get_content()
    number, _, label = says.partition(" ")
    assert f"<strong>{number}</strong> {label}" in html
    assert "From the campaign “Leading at Acme”" in html
    text = text_part.get_content()
    assert says in text
    assert "Leading at Acme" in text
    expect(page.get_by_role("cell", name="Sent", exact=True)).to_be_visible()
    check_page(page)


def test_a_manager_reads_the_demo_results_exports_them_and_tells_a_stakeholder(
    page: Page, campaign: Campaign, smtp_server: SmtpServer
) -> None:
    manager = make_user(MANAGER, Role.MANAGER)
    minimum = viewer_minimum(manager)
    assert minimum == 5  # a manager's view: groups under 5 are hidden
    sign_in(page, MANAGER)
    check_page(page)

    # The funnel: the numbers a manager may see, exactly as the report has them.
    on_page = _open_results(page)
    report = funnel_report(campaign, minimum=minimum)
    hidden = f"fewer than {minimum}"
    expected = {
        stage.label: hidden if count is None else str(count)
        for stage, count in zip(report.stages, report.total.counts, strict=True)
    }
    assert on_page == expected
    audience = report.total.counts[0]
    assert audience is not None and audience > 0
    counts = [int(value) for value in on_page.values() if value != hidden]
    assert counts == sorted(counts, reverse=True), "a funnel never grows stage to stage"

    # The CSV: the page's totals, and nothing a spreadsheet would run.
    rows = _export_csv(page)
    assert rows[0] == ["breakdown", "group", "stage", "count", "note"]
    # The funnel rows come first; the learning and A/B sections follow, each with a header
    # line of its own that starts with "section".
    sections = [i for i, row in enumerate(rows) if row and row[0] == "section"]
    assert len(sections) == 2, "learning and variant sections"
    funnel = rows[1 : sections[0]]
    for row in funnel:
        assert len(row) == 5, row
        count, note = row[3], row[4]
        assert count.isdigit() or (count == "" and note.startswith(f"hidden: {hidden}")), row
    in_csv = {
        stage: count or hidden
        for breakdown, group, stage, count, _note in funnel
        if breakdown == "Everyone" and group == "Everyone"
    }
    assert in_csv == on_page
    risky = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert risky == [], f"cells a spreadsheet would run as formulas: {risky[:5]}"
    touch_rows = [row for row in rows if row[1] in {HOSTILE_TOUCH, "'" + HOSTILE_TOUCH}]
    assert touch_rows and all(row[1] == "'" + HOSTILE_TOUCH for row in touch_rows)

    # A highlight from the results: the number who completed, as the page shows it.
    completed_label = report.stages[4].label
    completed = on_page[completed_label]
    assert completed.isdigit(), f"{completed_label} is hidden on the page: {completed}"
    title = "Team leads who completed Leading at Acme"
    label = "team leads completed the programme"
    _pin_number(page, title=title, number=completed, label=label)

    # A digest with it, to a stakeholder who has waited too long.
    subject = "Leading at Acme: the results"
    _compose_and_send(
        page, smtp_server, subject=subject, highlight=title, says=f"{completed} {label}"
    )

    # The stakeholder has now heard from the team today.
    page.get_by_role("link", name=STAKEHOLDER).click()
    expect(page.get_by_role("heading", name=STAKEHOLDER, level=1)).to_be_visible()
    today = dateformat.format(timezone.localdate(), "j M Y")
    last_heard = page.locator("dt", has_text="Last heard from the team").locator("+ dd")
    expect(last_heard).to_have_text(f"{today} (0 days ago)")
    expect(page.get_by_text("without news, longer than the cadence")).to_have_count(0)
    expect(page.get_by_role("link", name=subject)).to_be_visible()
    check_page(page)
    copy = DigestRecipient.objects.get(stakeholder__name=STAKEHOLDER)
    assert copy.status == "sent"
