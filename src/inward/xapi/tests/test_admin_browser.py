"""In a real browser: an admin connects an LMS, the LMS sends a record with the key and
secret from the page, the record shows as unmatched, the admin disables and deletes the
client. axe-core and the CSP checks run on every page (``web/tests/browser.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inward.web.tests.browser import check_page, make_user, sign_in
from inward.xapi.tests.statements_http import Lrs, statement

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.urls("inward.xapi.tests.lrs_admin_urls"),
]


def test_an_admin_connects_an_lms_and_sees_its_unmatched_records(
    page: Page, live_server: Any
) -> None:
    make_user("ada", "admin")
    sign_in(page, "ada")
    page.goto("/settings/lrs/")
    expect(page.get_by_role("heading", name="No LMS clients yet")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Make the first client").click()
    page.get_by_label("Name").fill("Moodle")
    check_page(page)
    page.get_by_role("button", name="Create client").click()
    expect(
        page.get_by_role("heading", name="“Moodle” can now send learning records")
    ).to_be_visible()
    check_page(page)
    key = page.locator("#lrs-key").inner_text()
    secret = page.locator("#lrs-secret").inner_text()
    assert page.locator("#lrs-endpoint").inner_text().endswith("/xapi/")

    lms = Lrs(base=live_server.url + "/xapi", key=key, secret=secret)
    assert lms.post([statement(mbox="mailto:stranger@example.com")]).status == 200

    page.get_by_role("link", name="Done").click()
    row = page.get_by_role("row", name="Moodle")
    expect(row).to_contain_text(key)
    expect(row.get_by_role("cell").nth(4)).to_have_text("1")
    check_page(page)

    page.get_by_role("link", name="Unmatched statements").click()
    expect(page.get_by_role("cell", name="mailto:stranger@example.com")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Activity not in the catalogue").click()
    expect(page.get_by_role("cell", name="http://example.com/courses/onboarding")).to_be_visible()
    check_page(page)

    page.goto("/settings/lrs/")
    page.get_by_role("button", name="Disable Moodle").click()
    expect(page.get_by_text("is disabled")).to_be_visible()
    assert lms.post([statement()]).status == 403
    check_page(page)

    page.get_by_role("link", name="Delete Moodle").click()
    expect(page.get_by_role("heading", name="Delete the LMS client “Moodle”?")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Delete client").click()
    expect(page.get_by_role("heading", name="No LMS clients yet")).to_be_visible()
    assert lms.post([statement()]).status == 401
