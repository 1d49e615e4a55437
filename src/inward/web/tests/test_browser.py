"""End to end in a real browser: sign in, import people, build an audience, save it.

Runs Debian's chromium through Playwright against pytest-django's live server, and runs
axe-core on every page it visits (see browser.py).
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from inward.accounts.models import Role, User
from inward.audiences.models import Audience
from inward.web.tests.browser import check_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PASSWORD = "correct horse battery staple"
PEOPLE_CSV = "email,first_name,last_name,department,site,language\n" + "\n".join(
    [
        *(f"sales{n}@example.com,Sam{n},Seller,Sales,Leeuwarden,nl" for n in range(5)),
        *(f"sneek{n}@example.com,Sid{n},Seller,Sales,Sneek,fy" for n in range(2)),
        *(f"help{n}@example.com,Hal{n},Helper,Support,Leeuwarden,nl" for n in range(4)),
    ]
)


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    check_page(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome to Inward")).to_be_visible()
    check_page(page)


def import_people(page: Page) -> None:
    page.goto("/directory/import/")
    check_page(page)
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV.encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    check_page(page)


def build_and_save_audience(page: Page) -> None:
    main_menu(page).get_by_role("link", name="Audiences", exact=True).click()
    expect(page.get_by_text("No audiences yet — start from a department")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="New audience").click()
    expect(page.get_by_role("heading", name="New audience")).to_be_visible()
    count = page.locator("#rule-count")
    page.get_by_label("Name", exact=True).fill("Sales in Leeuwarden")
    expect(page.get_by_label("Slug")).to_have_value("sales-in-leeuwarden")

    page.get_by_label("Condition 1 field").select_option("department")
    page.get_by_label("Condition 1 operator").select_option("=")
    page.get_by_label("Condition 1 value").fill("Sales")
    expect(count).to_contain_text("7 people match")
    expect(page.get_by_label("Rule as text")).to_have_value('department = "Sales"')
    check_page(page)

    page.get_by_role("button", name="Add condition").click()
    expect(page.get_by_label("Condition 2 field")).to_be_focused()
    page.get_by_label("Condition 2 field").select_option("site")
    page.get_by_label("Condition 2 value").fill("Leeuwarden")
    expect(count).to_contain_text("5 people match")
    rule = 'department = "Sales" and site = "Leeuwarden"'
    expect(page.get_by_label("Rule as text")).to_have_value(rule)
    check_page(page)
    screenshot(page, "audience-editor")

    page.get_by_role("button", name="Save audience").click()
    expect(page.get_by_role("heading", name="Sales in Leeuwarden")).to_be_visible()
    check_page(page)
    assert Audience.objects.get(slug="sales-in-leeuwarden").rule == rule


def explain_someone(page: Page) -> None:
    page.get_by_label("E-mail address").fill("sneek0@example.com")
    page.get_by_role("button", name="Explain").click()
    expect(page.get_by_text("Sid0 Seller is not in this audience.")).to_be_visible()
    expect(page.locator(".explain-tree")).to_contain_text(re.compile(r"does not match:\s*site"))
    check_page(page)


def test_an_admin_imports_people_and_builds_an_audience(page: Page) -> None:
    User.objects.create_user(
        username="ada", email="ada@example.com", password=PASSWORD, role=Role.ADMIN
    )
    sign_in(page, "ada")
    import_people(page)
    build_and_save_audience(page)
    explain_someone(page)
    screenshot(page, "audience-detail")
    main_menu(page).get_by_role("link", name="Audiences", exact=True).click()
    row = page.get_by_role("row", name=re.compile("Sales in Leeuwarden"))
    expect(row.get_by_role("cell").nth(3)).to_have_text("5")
    check_page(page)
    screenshot(page, "audience-list")
    visit_personas(page)


def visit_personas(page: Page) -> None:
    main_menu(page).get_by_role("link", name="Personas").click()
    expect(page.get_by_text("No personas yet")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Create the first persona").click()
    page.get_by_label("Name").fill("New seller")
    page.get_by_label("What's in it for me").fill("Close your first deal sooner")
    page.get_by_label("Audience").select_option(label="Sales in Leeuwarden")
    page.get_by_role("button", name="Save persona").click()
    expect(page.get_by_text("“Close your first deal sooner”")).to_be_visible()
    page.get_by_role("button", name="Dark theme").click()
    check_page(page)
    screenshot(page, "personas-dark")


def main_menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def screenshot(page: Page, name: str) -> None:
    """Set INWARD_SCREENSHOTS to a folder to see what the test saw."""
    if folder := os.environ.get("INWARD_SCREENSHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)
