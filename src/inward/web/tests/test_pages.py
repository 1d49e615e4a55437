"""Every page of the shell, as every role; and markup that the CSP would break."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)


def _plain_get_routes() -> list[str]:
    """Every URL without parameters, except the API and the xAPI learning record store
    (each with its own credentials, tested apart) and actions."""
    routes: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(("api/", "xapi/")):
                    walk(pattern.url_patterns, route)
            elif "<" not in route and not route.endswith(("logout/", "setlang/")):
                routes.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return routes


def test_it_serves_home_to_staff_and_sends_employees_to_their_profile(
    client_as: Any, manager_user: Any, employee_user: Any
) -> None:
    assert client_as(manager_user).get("/").status_code == 200
    assert client_as(employee_user).get("/")["Location"] == "/me/"


def test_it_shows_an_employee_only_their_own_record(client_as: Any, employee_user: Any) -> None:
    from inward.directory.models import Person

    Person.objects.create(email="emma@example.com", first_name="Emma", last_name="Visser")
    Person.objects.create(email="other@example.com", first_name="Other", last_name="Person")
    page = client_as(employee_user).get("/me/").content.decode()
    assert "Emma Visser" in page
    assert "other@example.com" not in page


def test_it_hides_staff_navigation_from_employees(client_as: Any, employee_user: Any) -> None:
    page = client_as(employee_user).get("/me/").content.decode()
    assert 'href="/directory/"' not in page
    assert 'href="/audiences/"' not in page


@pytest.mark.parametrize(
    "role", ["admin_user", "manager_user", "channel_owner_user", "employee_user"]
)
def test_it_renders_no_inline_script_style_or_handler(
    role: str, request: pytest.FixtureRequest, client_as: Any
) -> None:
    client = client_as(request.getfixturevalue(role))
    for route in _plain_get_routes():
        response = client.get(route)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"inline <script> on {route}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {route}"
        assert not INLINE_STYLE.search(html), f"inline style on {route}"
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_it_refuses_every_page_to_an_anonymous_visitor_except_sign_in(client: Any) -> None:
    public = ("/healthz", "/accounts/login/", "/accounts/password-reset/")
    for route in _plain_get_routes():
        response = client.get(route)
        if route.startswith(public) or route.startswith("/accounts/password-reset/sent"):
            continue
        if route.startswith("/accounts/reset/done"):
            continue
        assert response.status_code == 302, route
        assert response["Location"].startswith("/accounts/login/"), route


def test_the_learning_record_store_asks_for_its_own_credentials(client: Any) -> None:
    headers = {"X-Experience-API-Version": "1.0.3"}
    assert client.get("/xapi/statements", headers=headers).status_code == 401
    assert client.get("/xapi/activities/state", headers=headers).status_code == 401
    assert client.get("/xapi/about").status_code == 200  # public, as the specification says


def test_it_refuses_every_page_to_a_deactivated_user(client: Any, outsider_user: Any) -> None:
    client.force_login(outsider_user)
    for route in _plain_get_routes():
        if route.startswith(("/healthz", "/accounts/")):
            continue
        assert client.get(route).status_code in (302, 403), route


def test_a_forbidden_page_explains_itself_in_the_layout(client_as: Any, employee_user: Any) -> None:
    response = client_as(employee_user).get("/directory/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not for your role" in page
    assert 'href="/me/"' in page  # the navigation is still there


def test_a_missing_page_says_so_in_the_layout(client_as: Any, manager_user: Any) -> None:
    response = client_as(manager_user).get("/audiences/no-such-audience/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_my_profile_links_to_everything_recorded_about_me(
    client_as: Any, employee_user: Any
) -> None:
    from inward.directory.models import Person

    me = Person.objects.create(email="emma@example.com", first_name="Emma", tags=";mentor;")
    page = client_as(employee_user).get("/me/").content.decode()
    assert f'href="/directory/people/{me.pk}/"' in page
    assert "mentor" in client_as(employee_user).get(f"/directory/people/{me.pk}/").content.decode()
