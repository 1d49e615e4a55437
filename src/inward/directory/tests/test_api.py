from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inward.accounts.services import token_create
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(run_import):
    run_import(
        "external_id,email,first_name,last_name,department,site,language,manager_email",
        "E1,boss@example.com,Bo,Boss,Sales,Leeuwarden,fy,",
        "E2,emma@example.com,Emma,Employee,Sales/Inside Sales,Berlin,de,boss@example.com",
        "E3,zed@example.com,Zed,Zulu,Support,Berlin,en,boss@example.com",
    )
    return {person.email: person for person in Person.objects.all()}


def _headers(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_create(user=user, name='test').secret}"}


@pytest.mark.parametrize("persona", ["admin_user", "manager_user", "channel_owner_user"])
def test_readers_may_list_people(client, request, people, persona):
    response = client.get("/api/v1/people/", headers=_headers(request.getfixturevalue(persona)))

    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_an_employee_may_not_list_people(client, employee_user, people):
    response = client.get("/api/v1/people/", headers=_headers(employee_user))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_an_employee_may_read_their_own_record_only(client, employee_user, people):
    headers = _headers(employee_user)

    own = client.get(f"/api/v1/people/{people['emma@example.com'].pk}", headers=headers)
    other = client.get(f"/api/v1/people/{people['zed@example.com'].pk}", headers=headers)

    assert own.status_code == 200
    assert own.json()["manager_email"] == "boss@example.com"
    assert own.json()["department"] == "Sales/Inside Sales"
    assert other.status_code == 403


def test_it_searches_filters_sorts_and_pages(client, manager_user, people):
    headers = _headers(manager_user)

    sales = client.get("/api/v1/people/?department=Sales&sort=-name", headers=headers).json()
    berlin = client.get("/api/v1/people/?site=Berlin&q=zed", headers=headers).json()
    page = client.get("/api/v1/people/?limit=1&offset=1&sort=email", headers=headers).json()

    assert [item["email"] for item in sales["items"]] == ["emma@example.com", "boss@example.com"]
    assert [item["email"] for item in berlin["items"]] == ["zed@example.com"]
    assert page["count"] == 3 and [item["email"] for item in page["items"]] == ["emma@example.com"]


def test_an_unknown_person_is_404(client, admin_user, people):
    response = client.get("/api/v1/people/999999", headers=_headers(admin_user))

    assert response.status_code == 404


def test_no_token_is_401(client, people):
    assert client.get("/api/v1/people/").status_code == 401


def test_an_admin_may_dry_run_an_import(client, admin_user, people):
    upload = SimpleUploadedFile("p.csv", b"email,job_title\nnew@example.com,Chef\nbad,\n")

    response = client.post(
        "/api/v1/people/import", {"file": upload, "dry_run": "true"}, headers=_headers(admin_user)
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["created"], body["ok"], body["errors"][0]["line"]) == (1, False, 3)
    assert not Person.objects.filter(email="new@example.com").exists()


def test_only_an_admin_may_import(client, manager_user, people):
    upload = SimpleUploadedFile("p.csv", b"email\nnew@example.com\n")

    response = client.post(
        "/api/v1/people/import", {"file": upload}, headers=_headers(manager_user)
    )

    assert response.status_code == 403


def test_an_unusable_file_is_400(client, admin_user, people):
    upload = SimpleUploadedFile("p.csv", b"name\nAnn\n")

    response = client.post("/api/v1/people/import", {"file": upload}, headers=_headers(admin_user))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unusable_file"
