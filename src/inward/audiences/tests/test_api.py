from __future__ import annotations

from typing import Any

import pytest

from inward.accounts.services import token_create
from inward.audiences.models import Audience
from inward.audiences.tests.conftest import Directory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/audiences"


@pytest.fixture
def as_user(client: Any) -> Any:
    def call(user: Any, method: str, path: str, body: Any = None) -> Any:
        secret = token_create(user=user, name="test").secret
        send = getattr(client, method)
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return send(BASE + path, **kwargs)

    return call


def test_it_lists_audiences_with_live_counts(
    directory: Directory, as_user: Any, manager_user: Any
) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    response = as_user(manager_user, "get", "/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": "sales",
            "name": "Sales",
            "description": "",
            "rule": 'department = "Sales"',
            "count": 2,
            "fewer_than": None,
        }
    ]


def test_it_creates_reads_updates_and_deletes(
    directory: Directory, as_user: Any, admin_user: Any
) -> None:
    created = as_user(
        admin_user, "post", "/", {"slug": "fy", "name": "Frisians", "rule": 'LANGUAGE = "fy"'}
    )
    assert created.status_code == 201
    assert created.json()["rule"] == 'language = "fy"'
    assert as_user(admin_user, "get", "/fy").json()["count"] == 1
    updated = as_user(
        admin_user,
        "put",
        "/fy",
        {"name": "Dutch", "rule_json": {"field": "language", "op": "=", "value": "nl"}},
    )
    assert (updated.status_code, updated.json()["name"], updated.json()["count"]) == (
        200,
        "Dutch",
        1,
    )
    assert as_user(admin_user, "delete", "/fy").status_code == 204
    assert as_user(admin_user, "get", "/fy").status_code == 404


def test_it_reports_a_syntax_error_with_line_and_column(
    directory: Directory, as_user: Any, manager_user: Any
) -> None:
    response = as_user(manager_user, "post", "/count", {"rule": 'site = "x" and\n  tenure <'})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "rule_syntax",
            "message": 'line 2, column 11: expected a value after "<", found end of rule',
            "details": [{"line": 2, "column": 11, "expected": "a value"}],
        }
    }


def test_it_counts_a_rule_in_text_or_json(
    directory: Directory, as_user: Any, channel_owner_user: Any
) -> None:
    text = as_user(channel_owner_user, "post", "/count", {"rule": 'site = "Leeuwarden"'})
    assert text.json() == {"count": 1, "fewer_than": None}
    as_json = as_user(
        channel_owner_user,
        "post",
        "/count",
        {"rule_json": {"call": "reports_to", "args": ["anna@example.com"]}},
    )
    assert as_json.json() == {"count": 2, "fewer_than": None}


def test_it_reports_meaning_errors_and_missing_rules(
    directory: Directory, as_user: Any, admin_user: Any
) -> None:
    unknown = as_user(admin_user, "post", "/count", {"rule": 'departmnt = "x"'})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "rule_invalid"
    assert 'did you mean "department"' in unknown.json()["error"]["message"]
    neither = as_user(admin_user, "post", "/count", {})
    assert neither.json()["error"]["code"] == "rule_missing"
    bad_json = as_user(admin_user, "post", "/count", {"rule_json": {"and": []}})
    assert bad_json.json()["error"]["code"] == "rule_invalid"


def test_it_refuses_a_taken_slug(directory: Directory, as_user: Any, admin_user: Any) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    response = as_user(
        admin_user, "post", "/", {"slug": "sales", "name": "S", "rule": "tags is empty"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "slug_taken")


def test_it_explains_one_person(directory: Directory, as_user: Any, manager_user: Any) -> None:
    Audience.objects.create(slug="ls", name="L", rule='site = "Leeuwarden"')
    response = as_user(manager_user, "get", "/ls/explain?email=dora@example.com")
    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["matched"], body["children"]) == ('site = "Leeuwarden"', False, [])
    assert "on leave" in body["note"]
    missing = as_user(manager_user, "get", "/ls/explain?email=nobody@example.com")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/", {"slug": "x", "name": "X", "rule": "tags is empty"}),
        ("put", "/sales", {"name": "X", "rule": "tags is empty"}),
        ("delete", "/sales", None),
    ],
)
def test_it_lets_only_editors_change_audiences(
    directory: Directory, as_user: Any, channel_owner_user: Any, method: str, path: str, body: Any
) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    response = as_user(channel_owner_user, method, path, body)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("get", "/", None), ("get", "/sales", None), ("post", "/count", {"rule": "tags is empty"})],
)
def test_it_hides_audiences_from_employees(
    directory: Directory, as_user: Any, employee_user: Any, method: str, path: str, body: Any
) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    assert as_user(employee_user, method, path, body).status_code == 403


def test_it_needs_a_token(client: Any) -> None:
    assert client.get(BASE + "/").status_code == 401


@pytest.mark.parametrize("slug", ["new", "personas", "count", "builder"])
def test_it_refuses_a_slug_that_would_hide_a_page(as_user: Any, admin_user: Any, slug: str) -> None:
    body = {"slug": slug, "name": "X", "rule": 'site = "x"'}
    response = as_user(admin_user, "post", "/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "slug_reserved"


def test_it_refuses_a_name_longer_than_it_can_store(as_user: Any, admin_user: Any) -> None:
    body = {"slug": "long", "name": "n" * 201, "rule": 'site = "x"'}
    response = as_user(admin_user, "post", "/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_too_long"
