"""Browser-test helpers: Debian's chromium through Playwright, and axe-core on each page.

Never downloads a browser: the tests use /usr/bin/chromium and skip when it is missing.
Fixtures here are imported by the browser test modules (``from ... import browser, page``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# How long a page, an action or an expect() may take. CI shares two cores between two test
# processes, chromium and the live servers: 5 s (Playwright's default) is not always enough
# there, while a page that never appears still fails.
TIMEOUT_MS = 20_000
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# What the Content Security Policy would block. The browser context bypasses CSP so that
# axe can be injected, so the served HTML is checked for these instead.
_CSP_BREAKERS = {
    "inline style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    # json_script data (type="application/json") is not run, so the CSP allows it.
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc\s*=)(?![^>]*\btype\s*=\s*[\"']application/json)[^>]*>",
        re.IGNORECASE,
    ),
    "event-handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),
}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # A missing browser fails the run: the browser tests are part of `make test`.
        pytest.fail(f"{CHROMIUM} is not installed: run `apt-get install chromium` (or .ci/run)")
    expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


# Documents each page has loaded since its last check_page().
_pending: dict[Page, list[Response]] = {}


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh page on the live server, with CSP bypassed so axe can be injected."""
    # Reduced motion switches off Bootstrap's colour transitions, so axe never measures a
    # colour half-way through a theme change.
    context = browser.new_context(
        bypass_csp=True, base_url=live_server.url, reduced_motion="reduce"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    _pending[tab] = []
    # A response may still arrive while the context closes, after the page's list went.
    tab.on("response", lambda response: _pending.get(tab, []).append(response))
    try:
        yield tab
    finally:
        _pending.pop(tab, None)
        context.close()


def check_page(page: Page) -> None:
    """The checks to run on every page a test visits: axe, and nothing CSP would block."""
    responses, _pending[page] = _pending.get(page, []), []
    problems = [problem for response in responses for problem in csp_problems(response)]
    assert not problems, "\n".join(problems)
    assert_accessible(page)


def csp_problems(response: Response) -> list[str]:
    if "text/html" not in (response.headers.get("content-type") or ""):
        return []
    try:
        html = response.text()
    except Exception:  # redirects have no body
        return []
    return [
        f"{response.url}: {name}: {found.group(0)[:120]}"
        for name, pattern in _CSP_BREAKERS.items()
        if (found := pattern.search(html))
    ]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run()")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:160]}")
            if summary := node.get("failureSummary"):
                lines.append("       " + summary.replace("\n", "\n       "))
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with a readable list when axe finds a serious or critical problem."""
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n{describe(violations)}"


PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str) -> Any:
    """A user who can sign in with ``PASSWORD``; the e-mail is ``<username>@example.com``."""
    from inward.accounts.models import User

    made = User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD
    )
    made.role = role
    made.save()
    return made


def sign_in(page: Page, username: str, *, heading: str | None = None) -> None:
    """Sign in afresh as ``username`` (any earlier session is dropped) and wait for the
    account menu; with ``heading``, also for that heading on the home page."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=username, exact=True)).to_be_visible()
    if heading:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
