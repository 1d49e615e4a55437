from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from inward.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_signs_in_with_the_right_password(client: Any, manager_user: Any) -> None:
    response = client.post("/accounts/login/", {"username": "mona", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_it_refuses_a_wrong_password(client: Any, manager_user: Any) -> None:
    response = client.post("/accounts/login/", {"username": "mona", "password": "nope"})
    assert response.status_code == 200
    assert "Enter a correct user name and password" in response.content.decode()


def test_it_throttles_after_repeated_failures_even_with_the_right_password(
    client: Any, manager_user: Any, settings: Any
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "mona", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "mona", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_hashes_passwords_with_argon2(manager_user: Any) -> None:
    assert manager_user.password.startswith("argon2")


def test_it_sends_a_password_reset_link_by_email(client: Any, manager_user: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "mona@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line)
    confirm = client.get(link.replace("http://testserver", ""), follow=True)
    assert b"Choose a new password" in confirm.content
    new = "a much longer new passphrase 42"
    done = client.post(confirm.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert client.login(username="mona", password=new)


def test_it_says_the_same_for_an_unknown_address(client: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_it_switches_the_interface_language(client: Any, manager_user: Any) -> None:
    client.force_login(manager_user)
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="nl"' in page
    assert "Welkom bij Inward" in page
    client.post("/i18n/setlang/", {"language": "fy", "next": "/"})
    assert "Wolkom by Inward" in client.get("/").content.decode()


def test_it_never_echoes_a_password_back_into_the_page(client: Any, manager_user: Any) -> None:
    page = client.post(
        "/accounts/login/", {"username": "nobody", "password": "MySecretPW123"}
    ).content.decode()
    assert "MySecretPW123" not in page
    assert 'value="nobody"' in page  # the user name is kept, so nothing else is lost


def test_it_ignores_the_case_of_the_user_name(client: Any, manager_user: Any) -> None:
    response = client.post("/accounts/login/", {"username": "Mona", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("variant", ["mona ", " MONA", "\tmona", "\uff4d\uff4f\uff4e\uff41"])
def test_variants_of_a_user_name_share_one_throttle(
    client: Any, manager_user: Any, settings: Any, variant: str
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": "mona", "password": "nope"})
    response = client.post("/accounts/login/", {"username": variant, "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_limits_password_reset_mails(client: Any, manager_user: Any, settings: Any) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(6):
        response = client.post("/accounts/password-reset/", {"email": "mona@example.com"})
        assert response.status_code == 302  # the same answer every time
    assert len(mail.outbox) == 3
