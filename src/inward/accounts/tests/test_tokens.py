from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inward.accounts.models import ApiToken
from inward.accounts.services import token_authenticate, token_create

pytestmark = pytest.mark.django_db


def test_it_creates_a_token_in_the_ui_and_shows_the_secret_once(
    client_as: Any, employee_user: Any
) -> None:
    client = client_as(employee_user)
    response = client.post("/accounts/tokens/", {"name": "HR sync"}, follow=True)
    assert response.redirect_chain == [("/accounts/tokens/", 302)]
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = re.search(r"inw_[0-9a-f]{8}_[\w-]+", page)
    assert secret is not None
    assert token_authenticate(secret=secret.group(0)) == employee_user
    assert secret.group(0) not in client.get("/accounts/tokens/").content.decode()


def test_it_stores_only_a_digest(employee_user: Any) -> None:
    issued = token_create(user=employee_user, name="x")
    stored = ApiToken.objects.get()
    assert issued.secret not in (stored.digest, stored.prefix)


def test_it_rejects_tampered_and_revoked_tokens(client_as: Any, employee_user: Any) -> None:
    issued = token_create(user=employee_user, name="x")
    last = "B" if issued.secret.endswith("A") else "A"
    assert token_authenticate(secret=issued.secret[:-1] + last) is None
    client_as(employee_user).post(f"/accounts/tokens/{issued.token.pk}/delete/")
    assert token_authenticate(secret=issued.secret) is None


def test_it_does_not_let_one_user_revoke_anothers_token(
    client_as: Any, employee_user: Any, manager_user: Any
) -> None:
    issued = token_create(user=employee_user, name="x")
    client_as(manager_user).post(f"/accounts/tokens/{issued.token.pk}/delete/")
    assert token_authenticate(secret=issued.secret) == employee_user


def test_it_rejects_tokens_of_deactivated_users(employee_user: Any) -> None:
    issued = token_create(user=employee_user, name="x")
    employee_user.is_active = False
    employee_user.save()
    assert token_authenticate(secret=issued.secret) is None


def test_it_creates_a_token_from_the_command_line(manager_user: Any) -> None:
    out = StringIO()
    call_command("token", "create", "--user", "mona", "--name", "ci", stdout=out)
    assert token_authenticate(secret=out.getvalue().strip()) == manager_user


def test_it_names_an_unknown_user_on_the_command_line() -> None:
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("token", "create", "--user", "ghost")
