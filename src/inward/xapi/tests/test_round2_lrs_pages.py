"""The LMS client pages warn when Inward is open at another address than the endpoint's,
and write dates as the rest of the app does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from inward.xapi.clients import create_client
from inward.xapi.models import LrsClient
from inward.xapi.tests.records import mbox, statement

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inward.xapi.tests.lrs_admin_urls")]

WARNING = "data-endpoint-warning"
# 07:55 in Amsterdam (winter time) on 25 November 2026.
MOMENT = dt.datetime(2026, 11, 25, 6, 55, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _amsterdam(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Amsterdam"


def _created_page(web: Any) -> str:
    response = web.post(reverse("lrs_admin:client_create"), {"name": "Moodle"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("lrs_admin:client_created")
    return str(response.content.decode())


def test_it_warns_on_both_pages_when_inward_is_open_elsewhere(
    admin_user: Any, client_as: Any, settings: Any
) -> None:
    settings.INWARD_BASE_URL = "http://127.0.0.1:8000"
    web = client_as(admin_user)
    listed = web.get(reverse("lrs_admin:client_list"), HTTP_HOST="127.0.0.1:8765")
    created = _created_page(web)  # the test client's own host, "testserver"
    html = listed.content.decode()
    assert WARNING in html
    assert 'You have Inward open at <code class="text-reset">http://127.0.0.1:8765</code>' in html
    assert "<code>http://127.0.0.1:8000/xapi/</code>" in html
    assert "INWARD_BASE_URL" in html and "docs/configuration.md" in html
    assert WARNING in created and "http://testserver</code>" in created


def test_it_does_not_warn_when_inward_is_open_at_its_base_url(
    admin_user: Any, client_as: Any, settings: Any
) -> None:
    settings.INWARD_BASE_URL = "http://127.0.0.1:8000/inward"  # a path prefix is no difference
    web = client_as(admin_user)
    listed = web.get(reverse("lrs_admin:client_list"), HTTP_HOST="127.0.0.1:8000")
    assert WARNING not in listed.content.decode()
    settings.INWARD_BASE_URL = "http://testserver:80"  # the default port, spelled out
    assert WARNING not in _created_page(web)


def test_a_different_scheme_is_another_address(
    admin_user: Any, client_as: Any, settings: Any
) -> None:
    settings.INWARD_BASE_URL = "https://testserver"
    response = client_as(admin_user).get(reverse("lrs_admin:client_list"))
    assert WARNING in response.content.decode()


def test_client_dates_are_in_the_apps_format(admin_user: Any, client_as: Any) -> None:
    lms, _ = create_client(name="Moodle", created_by=admin_user)
    LrsClient.objects.filter(pk=lms.pk).update(created_at=MOMENT, last_used_at=MOMENT)
    html = client_as(admin_user).get(reverse("lrs_admin:client_list")).content.decode()
    assert html.count("25 Nov 2026 07:55") == 2
    assert "11/25/2026" not in html and "a.m." not in html


def test_unmatched_statement_dates_are_in_the_apps_format(admin_user: Any, client_as: Any) -> None:
    lms, _ = create_client(name="Moodle")
    statement(mbox("stranger@example.com"), client=lms, stored=MOMENT)
    html = client_as(admin_user).get(reverse("lrs_admin:unmatched")).content.decode()
    assert "25 Nov 2026 07:55" in html
