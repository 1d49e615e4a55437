from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from inward.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_it_creates_an_admin_and_prints_a_working_password() -> None:
    out = StringIO()
    call_command("createadmin", "--username", "root", "--email", "Root@Example.com", stdout=out)
    password = re.search(r"Admin password: (\S+)", out.getvalue())
    assert password is not None
    user = User.objects.get(username="root")
    assert user.role == Role.ADMIN
    assert user.email == "root@example.com"
    assert user.check_password(password.group(1))


def test_it_leaves_an_existing_admin_alone_when_asked() -> None:
    call_command("createadmin", stdout=StringIO())
    before = User.objects.get(username="admin").password
    out = StringIO()
    call_command("createadmin", "--if-missing", stdout=out)
    assert "password unchanged" in out.getvalue()
    assert User.objects.get(username="admin").password == before
