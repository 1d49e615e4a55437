"""The main navigation after the round-2 review: the admin pages sit under one "Settings"
menu (the LMS/xAPI settings no longer read "Learning records" beside "Learning"), and the
theme button says what it will do."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def main_links(html: str) -> list[str]:
    """The labels of the links side by side in the bar (not those in a menu)."""
    nav = html[html.index('<ul class="navbar-nav me-auto main-links">') :]
    nav = nav[: nav.index("</ul>")]
    return re.findall(r'<a class="nav-link[^"]*" href="[^"]+"[^>]*>([^<]+)</a>', nav)


def settings_menu(html: str) -> list[tuple[str, str]]:
    found = re.search(r">Settings</button>\s*<ul class=\"dropdown-menu\">(.*?)</ul>", html, re.S)
    assert found, "no Settings menu"
    return re.findall(r'<a class="dropdown-item[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', found[1])


def test_an_admin_finds_import_channels_and_lms_connections_under_settings(
    admin_user: Any, client_as: Any
) -> None:
    html = client_as(admin_user).get("/").content.decode()

    assert settings_menu(html) == [
        ("/directory/import/", "Import people"),
        ("/channels/", "Channels"),
        ("/settings/lrs/", "LMS connections (xAPI)"),
    ]
    assert "Learning records" not in html
    links = main_links(html)
    assert "Learning" in links and "Approvals" in links
    assert not {"Import", "Channels", "Import people"} & set(links)


def test_a_manager_has_no_settings_menu(manager_user: Any, client_as: Any) -> None:
    html = client_as(manager_user).get("/").content.decode()

    assert ">Settings</button>" not in html
    assert main_links(html) == [
        *("Home", "Directory", "Audiences", "Personas", "Campaigns", "Calendar"),
        *("Learning", "Highlights", "Feed"),
    ]


def test_the_settings_menu_marks_the_current_page(admin_user: Any, client_as: Any) -> None:
    html = client_as(admin_user).get("/settings/lrs/").content.decode()

    assert re.search(r'class="btn btn-link nav-link dropdown-toggle active"[^>]*>Settings<', html)
    assert (
        '<a class="dropdown-item active" href="/settings/lrs/" aria-current="page">'
        "LMS connections (xAPI)</a>"
    ) in html
    assert 'class="nav-link active"' not in html


def test_the_account_menu_holds_the_language_and_sign_out(
    manager_user: Any, client_as: Any
) -> None:
    html = client_as(manager_user).get("/").content.decode()

    menu = html[html.index('<ul class="dropdown-menu dropdown-menu-end account-menu">') :]
    menu = menu[: menu.index("</ul>\n          </li>")]
    assert 'id="language-picker"' in menu
    assert 'action="/accounts/logout/"' in menu and "Sign out" in menu


def test_the_theme_button_says_what_it_will_do(manager_user: Any, client_as: Any) -> None:
    html = client_as(manager_user).get("/").content.decode()

    button = re.search(r"<button[^>]*data-theme-toggle[^>]*>.*?</button>", html, re.S)
    assert button is not None
    assert 'aria-label="Switch to dark theme"' in button[0]
    assert 'data-name-light="Switch to light theme"' in button[0]
    assert 'data-label-light="Light theme"' in button[0]
    assert "aria-pressed" not in button[0]
