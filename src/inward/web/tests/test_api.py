"""The API's shared contract: token authentication, error bodies and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from inward.accounts.services import token_create

pytestmark = pytest.mark.django_db


def test_it_publishes_the_openapi_document_without_a_token(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Inward API"
    assert any(path.startswith("/api/v1/people") for path in document["paths"])
    assert any(path.startswith("/api/v1/audiences") for path in document["paths"])


def test_it_answers_401_with_the_error_body_without_a_token(client: Any) -> None:
    response = client.get("/api/v1/people/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_it_answers_401_for_a_bad_token(client: Any) -> None:
    response = client.get("/api/v1/people/", HTTP_AUTHORIZATION="Bearer inw_0000_nope")
    assert response.status_code == 401


def test_it_ignores_a_session_cookie(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    assert client.get("/api/v1/people/").status_code == 401


def test_it_answers_403_with_the_error_body_for_a_role_that_may_not(
    client: Any, employee_user: Any
) -> None:
    secret = token_create(user=employee_user, name="t").secret
    response = client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "Your role does not allow this.", "details": []}
    }


def test_it_answers_404_with_the_error_body(client: Any, admin_user: Any) -> None:
    secret = token_create(user=admin_user, name="t").secret
    response = client.get("/api/v1/nothing-here/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
