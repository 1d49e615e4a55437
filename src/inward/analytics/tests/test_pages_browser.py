"""The results page in a real browser: the charts draw (ECharts, SVG), the breakdown
switches from the keyboard with focus kept, the dark theme redraws them, the real Content
Security Policy blocks nothing, and axe-core passes on every page."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from inward.accounts.models import Role
from inward.analytics.tests.worlds import World, results_world, stored_statement
from inward.web.tests.browser import TIMEOUT_MS, check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SHOTS = os.environ.get("INWARD_SCREENSHOTS", "")
CHARTS = ("funnel-data", "time-data", "heatmap-data")


@pytest.fixture
def world() -> World:
    make_user("ada", Role.ADMIN)
    make_user("mona", Role.MANAGER)
    return results_world()


def _charts_drawn(page: Page) -> None:
    for chart in CHARTS:
        drawn = page.locator(f'[data-chart="{chart}"][data-chart-ready="true"] svg')
        expect(drawn.first).to_be_visible()


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_the_results_page_draws_its_charts_and_switches_breakdown_by_keyboard(
    page: Page, world: World
) -> None:
    sign_in(page, "ada")
    page.goto(world.url())
    expect(page.get_by_role("heading", name="Results: Leading at Acme")).to_be_visible()
    _charts_drawn(page)
    funnel = page.get_by_role("img", name="Funnel chart: people at each stage.", exact=False)
    expect(funnel).to_be_visible()
    expect(page.locator("#funnel-table")).to_contain_text("Reached")
    check_page(page)
    _shot(page, "analytics-results")

    table = page.locator("#breakdown-table table")
    expect(table).to_have_attribute("data-dimension", "touch")
    page.get_by_role("radio", name="Touch", exact=True).focus()
    for _ in range(5):  # touch → stage → channel → language → persona → department
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Department", exact=True)).to_be_checked()
    expect(table).to_have_attribute("data-dimension", "department")
    expect(table).to_contain_text("Finance")
    expect(page.get_by_role("radio", name="Department", exact=True)).to_be_focused()
    check_page(page)

    page.get_by_role("radio", name="Linear", exact=True).focus()
    page.keyboard.press("Space")
    expect(page.locator("#learning-table")).to_contain_text("Linear: the credit is shared")


def test_the_charts_follow_the_dark_theme(page: Page, world: World) -> None:
    sign_in(page, "mona")
    page.goto(world.url())
    _charts_drawn(page)
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    _charts_drawn(page)
    check_page(page)
    _shot(page, "analytics-results-dark")


def test_the_charts_draw_under_the_real_content_security_policy(
    browser: Browser, live_server: Any, world: World
) -> None:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    blocked: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    tab.on("console", note)
    try:
        sign_in(tab, "ada")
        response = tab.goto(world.url())
        assert response is not None and "content-security-policy" in response.headers
        _charts_drawn(tab)
        tab.get_by_role("button", name="Dark theme").click()
        _charts_drawn(tab)
        assert blocked == []
    finally:
        context.close()


def test_the_printable_report_and_my_data_pass_axe(page: Page, world: World) -> None:
    sign_in(page, "mona")
    page.goto(world.url("report/"))
    expect(page.get_by_role("heading", name="Leading at Acme", level=1)).to_be_visible()
    check_page(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    page.emulate_media(media="screen")
    _shot(page, "analytics-report")
    page.goto("/analytics/me/")
    expect(page.get_by_role("heading", name="My data")).to_be_visible()
    check_page(page)


def test_a_persons_record_shows_a_stored_statement_and_downloads_by_keyboard(
    page: Page, world: World
) -> None:
    person = world.sales[3]
    stored_statement(person, "Coaching")
    sign_in(page, "ada")
    page.goto(f"/analytics/people/{person.pk}/")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    expect(page.get_by_role("cell", name="completed: Coaching")).to_be_visible()
    check_page(page)

    show = page.locator("#records-heading ~ div summary").first
    show.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#records-heading ~ div pre").first).to_contain_text(
        '"id": "https://lms.example.com/course/7"'
    )
    check_page(page)
    _shot(page, "analytics-person-record")

    page.get_by_role("link", name="Download all of it (JSON)").focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith(f"inward-data-{person.pk}-")
