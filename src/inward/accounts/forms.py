from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from inward.accounts.services import (
    login_clear_failures,
    login_is_throttled,
    login_record_failure,
    password_reset_allowed,
)


class BootstrapFormMixin:
    """Bootstrap classes on every widget; ``is-invalid`` on fields with errors."""

    fields: dict[str, forms.Field]

    def style_fields(self, errors: Any) -> None:
        for name, field in self.fields.items():
            css = "form-control is-invalid" if errors and name in errors else "form-control"
            field.widget.attrs["class"] = css


def client_address(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request else ""


def throttle_name(raw: str) -> str:
    """The user name the way sign-in compares it, so variants share one throttle."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


class ThrottledAuthenticationForm(BootstrapFormMixin, AuthenticationForm):
    """Sign-in that refuses further attempts after repeated failures for a while."""

    error_messages = {
        "invalid_login": _("Enter a correct user name and password. Both may be case-sensitive."),
        "inactive": _("This account is inactive."),
        "throttled": _(
            "Too many failed sign-in attempts. Wait a few minutes, or reset your password."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update(autocapitalize="none", spellcheck="false")

    def full_clean(self) -> None:
        super().full_clean()
        self.style_fields(self.errors)

    def clean(self) -> dict[str, Any]:
        username = throttle_name(self.data.get("username", ""))
        address = client_address(self.request)
        if login_is_throttled(username=username, address=address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_record_failure(username=username, address=address)
            raise
        login_clear_failures(username=username, address=address)
        return cleaned


class TokenCreateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What uses this token, e.g. “HR sync”.")
    )


class InwardPasswordResetForm(BootstrapFormMixin, PasswordResetForm):
    """Sends nothing past the reset limit, and says the same either way, so the page tells
    no one whether an address has an account or has been throttled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")

    def save(self, *args: Any, **kwargs: Any) -> None:
        request = kwargs.get("request")
        email = self.cleaned_data["email"]
        if password_reset_allowed(email=email, address=client_address(request)):
            super().save(*args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        self.style_fields(self.errors)


class InwardSetPasswordForm(BootstrapFormMixin, SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")

    def full_clean(self) -> None:
        super().full_clean()
        self.style_fields(self.errors)
