"""The main navigation in a real browser at 1280 pixels: it fits without sideways
scrolling for an admin and a manager, the Settings menu works from the keyboard, and the
theme button says what it will do. axe and the CSP checks run on each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from inward.accounts.models import Role
from inward.web.tests.browser import PASSWORD, check_page, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PAGES = {
    Role.ADMIN: ["/", "/directory/", "/campaigns/", "/highlights/", "/channels/", "/settings/lrs/"],
    Role.MANAGER: ["/", "/directory/", "/campaigns/", "/highlights/", "/feed/"],
}


def fits(page: Page) -> None:
    """Nothing sticks out sideways, and the bar is one row (no label wrapped)."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide in a {width[1]} px window"
    heights = page.evaluate(
        "Array.from(document.querySelectorAll('#main-nav .nav-link, #main-nav .btn'))"
        ".filter(e => e.offsetParent).map(e => Math.round(e.getBoundingClientRect().height))"
    )
    assert heights and max(heights) < 48, f"{page.url}: a navigation label wraps ({heights})"
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('#main-nav > ul > li'))"
        ".map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(tops) - min(tops) < 20, f"{page.url}: the bar takes more than one row ({tops})"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_the_navigation_fits_a_1280_pixel_screen(page: Page, role: str) -> None:
    make_user("marieke.van.der.berg", role)  # a long name, cut short in the bar
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "marieke.van.der.berg")
    for url in PAGES[role]:
        page.goto(url)
        fits(page)
        check_page(page)


def test_the_settings_menu_opens_and_is_walked_from_the_keyboard(page: Page) -> None:
    make_user("ada", Role.ADMIN)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "ada")
    settings = page.get_by_role("navigation", name="Main").get_by_role("button", name="Settings")

    settings.focus()
    page.keyboard.press("Enter")
    expect(settings).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Import people", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    lms = page.get_by_role("link", name="LMS connections (xAPI)")
    expect(lms).to_be_focused()
    check_page(page)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Learning record store")).to_be_visible()
    expect(settings).to_have_class("btn btn-link nav-link dropdown-toggle active")
    page.keyboard.press("Escape")
    check_page(page)


def test_the_theme_button_names_the_theme_it_switches_to(page: Page) -> None:
    make_user("mona", Role.MANAGER)
    sign_in(page, "mona")
    toggle = page.locator("[data-theme-toggle]")
    expect(toggle).to_have_text("Dark theme")
    expect(toggle).to_have_accessible_name("Switch to dark theme")

    toggle.click()

    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(toggle).to_have_text("Light theme")
    expect(toggle).to_have_accessible_name("Switch to light theme")
    check_page(page)
    page.reload()
    expect(toggle).to_have_text("Light theme")
    toggle.click()
    expect(toggle).to_have_text("Dark theme")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")


def test_on_a_phone_the_menu_button_opens_the_whole_navigation(page: Page) -> None:
    make_user("ada", Role.ADMIN)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in_small(page, "ada")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Toggle navigation").click()
    expect(nav.get_by_role("link", name="Highlights")).to_be_visible()
    nav.get_by_role("button", name="ada", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    check_page(page)


def sign_in_small(page: Page, username: str) -> None:
    """Sign in on a phone-sized window, where the account menu hides behind the toggler."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
