"""Security review of the LMS client pages: CSRF on every change, and the secret in no
audit entry, log line or session once it has been shown."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from inward.audit.models import AuditEntry
from inward.xapi import admin_views
from inward.xapi.admin_views import SESSION_NEW_CLIENT
from inward.xapi.clients import create_client
from inward.xapi.models import LrsClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inward.xapi.tests.lrs_admin_urls")]


def test_every_change_needs_the_csrf_token(admin_user: Any) -> None:
    lms, _ = create_client(name="Moodle")
    web = Client(enforce_csrf_checks=True)
    web.force_login(admin_user)
    for url in (
        reverse("lrs_admin:client_create"),
        reverse("lrs_admin:client_enabled", args=[lms.pk]),
        reverse("lrs_admin:client_delete", args=[lms.pk]),
        reverse("lrs_admin:rematch"),
    ):
        assert web.post(url, {"name": "Evil", "enabled": "0"}).status_code == 403, url
    lms.refresh_from_db()
    assert lms.enabled and LrsClient.objects.count() == 1


def test_the_secret_is_in_no_audit_entry_log_or_session(
    admin_user: Any, client_as: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    web = client_as(admin_user)
    web.post(reverse("lrs_admin:client_create"), {"name": "Moodle"})
    secret = web.get(reverse("lrs_admin:client_created")).context["secret"]
    lms = LrsClient.objects.get()
    web.post(reverse("lrs_admin:client_enabled", args=[lms.pk]), {"enabled": "0"})
    web.post(reverse("lrs_admin:client_delete", args=[lms.pk]))
    entries = list(AuditEntry.objects.values("summary", "data"))
    assert len(entries) == 3
    assert secret not in json.dumps(entries)
    assert secret not in caplog.text
    assert lms.secret_sha256 not in json.dumps(entries)
    for session in Session.objects.all():
        assert secret not in json.dumps(session.get_decoded())


def test_a_secret_nobody_came_for_leaves_the_session(
    admin_user: Any, client_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = client_as(admin_user)
    web.post(reverse("lrs_admin:client_create"), {"name": "Moodle"})
    assert SESSION_NEW_CLIENT in web.session
    web.get(reverse("lrs_admin:client_list"))  # went elsewhere instead
    assert SESSION_NEW_CLIENT not in web.session

    monkeypatch.setattr(admin_views, "NEW_SECRET_SECONDS", -1)  # came too late
    web.post(reverse("lrs_admin:client_create"), {"name": "Totara"})
    late = web.get(reverse("lrs_admin:client_created"), follow=True)
    assert "shown only once" in late.content.decode()
    assert SESSION_NEW_CLIENT not in web.session
