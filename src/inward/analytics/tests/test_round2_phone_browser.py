"""The results page, the printable report and the stakeholder list on a 375-pixel phone:
nothing sticks out sideways, the breakdown's last columns and the stakeholders' Status are
on screen, the heat map labels every column, the chart legend keeps clear of the axis; on
a 1280-pixel screen the heat map shows a long department name whole; on paper the report's
tables stay tables. axe and the CSP checks run on every page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from inward.accounts.models import Role
from inward.analytics.tests.worlds import World, add_recipient, results_world
from inward.campaigns.tests.factories import make_people
from inward.highlights.models import Stakeholder
from inward.web.tests.browser import check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 375, "height": 740}
LONG_DEPARTMENT = "Sales/Customer Success"
STAGES = ("Reached", "Engaged", "Acted", "Completed", "Advocated")


@pytest.fixture
def world() -> World:
    make_user("ada", Role.ADMIN)
    make_user("mona", Role.MANAGER)
    world = results_world()
    start = timezone.now() - dt.timedelta(days=20)
    for i, person in enumerate(make_people(6, department=LONG_DEPARTMENT)):
        add_recipient(world.campaign, world.touch, person, 1 + i % 5, start)
    return world


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in {widths[1]} px"


def on_screen(locator: Locator, page: Page) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]  # type: ignore[index]


def texts(page: Page, chart: str) -> list[dict[str, float | str]]:
    """Every label the chart drew, with its box on the page."""
    result: list[dict[str, float | str]] = page.evaluate(
        """(chart) => Array.from(document.querySelectorAll(`[data-chart="${chart}"] svg text`))
            .map(t => { const r = t.getBoundingClientRect();
              return {text: t.textContent, left: r.left, right: r.right,
                      top: r.top, bottom: r.bottom}; })""",
        chart,
    )
    return result


def drawn(page: Page, chart: str) -> None:
    expect(
        page.locator(f'[data-chart="{chart}"][data-chart-ready="true"] svg').first
    ).to_be_visible()


def overlaps(a: dict[str, float | str], b: dict[str, float | str]) -> bool:
    return not (
        float(a["right"]) <= float(b["left"])
        or float(b["right"]) <= float(a["left"])
        or float(a["bottom"]) <= float(b["top"])
        or float(b["bottom"]) <= float(a["top"])
    )


def test_the_results_page_fits_a_phone(page: Page, world: World) -> None:
    sign_in(page, "mona")
    page.set_viewport_size(PHONE)
    page.goto(world.url())
    drawn(page, "heatmap-data")
    drawn(page, "time-data")
    no_sideways_scroll(page)

    first_group = page.locator("#breakdown-table tbody tr").first
    for stage in ("Acted", "Completed", "Advocated"):
        on_screen(first_group.locator(f'.stack-label[data-label="{stage}"]'), page)

    headings = {str(t["text"]) for t in texts(page, "heatmap-data")}
    assert set(STAGES) <= headings, f"heat map headings: {headings}"

    labels = texts(page, "time-data")
    legend = [t for t in labels if t["text"] in STAGES]
    axis = [t for t in labels if str(t["text"]).isdigit()]
    assert len(legend) == 5 and axis
    clashes = [(a["text"], b["text"]) for a in legend for b in axis if overlaps(a, b)]
    assert not clashes, f"the legend covers the axis: {clashes}"
    check_page(page)


def test_the_heat_map_shows_a_long_department_name_whole(page: Page, world: World) -> None:
    sign_in(page, "ada")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(world.url())
    drawn(page, "heatmap-data")
    box = page.locator('[data-chart="heatmap-data"]').bounding_box()
    assert box is not None

    [label] = [t for t in texts(page, "heatmap-data") if t["text"] == LONG_DEPARTMENT]

    assert float(label["left"]) >= box["x"], f"{label} starts left of the chart at {box['x']}"
    check_page(page)


def test_the_printable_report_fits_a_phone_and_stays_a_table_on_paper(
    page: Page, world: World
) -> None:
    sign_in(page, "mona")
    page.set_viewport_size(PHONE)
    page.goto(world.url("report/"))
    expect(page.get_by_role("heading", name="Leading at Acme", level=1)).to_be_visible()
    no_sideways_scroll(page)
    on_screen(page.locator('#r-touch + table .stack-label[data-label="Advocated"]').first, page)
    check_page(page)

    page.emulate_media(media="print")
    row = page.locator("#r-touch + table tbody tr").first
    assert row.evaluate("e => getComputedStyle(e).display") == "table-row"
    expect(
        page.locator('#r-touch + table .stack-label[data-label="Advocated"]').first
    ).to_be_hidden()
    page.emulate_media(media="screen")


def test_the_stakeholder_list_shows_the_status_on_a_phone(page: Page, world: World) -> None:
    anna = Stakeholder.objects.create(
        name="Anna de Vries", email="anna@example.com", cadence_days=7
    )
    Stakeholder.objects.filter(pk=anna.pk).update(created_at=timezone.now() - dt.timedelta(days=22))
    sign_in(page, "mona")
    page.set_viewport_size(PHONE)
    page.goto("/highlights/stakeholders/")

    no_sideways_scroll(page)
    on_screen(page.get_by_text("overdue by 15 days"), page)
    check_page(page)
