from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from inward.accounts.models import User


class CaseInsensitiveModelBackend(ModelBackend):
    """Sign-in ignores the case of the user name: phones capitalise the first letter."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None:
            match = User.objects.filter(username__iexact=username.strip()).first()
            username = match.username if match else username
        return super().authenticate(request, username=username, password=password, **kwargs)
