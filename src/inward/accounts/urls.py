from collections.abc import Callable
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseBase
from django.urls import path, reverse_lazy
from django.views import View

from inward.accounts import views
from inward.accounts.forms import InwardPasswordResetForm, InwardSetPasswordForm

app_name = "accounts"


def _public(view_class: type[View[Any]], **kwargs: Any) -> Callable[..., HttpResponseBase]:
    return login_not_required(view_class.as_view(**kwargs))


urlpatterns = [
    path("login/", _public(views.LoginView), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        _public(
            auth_views.PasswordResetView,
            template_name="accounts/password_reset_form.html",
            form_class=InwardPasswordResetForm,
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        _public(
            auth_views.PasswordResetDoneView, template_name="accounts/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        _public(
            auth_views.PasswordResetConfirmView,
            template_name="accounts/password_reset_confirm.html",
            form_class=InwardSetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        _public(
            auth_views.PasswordResetCompleteView,
            template_name="accounts/password_reset_complete.html",
        ),
        name="password_reset_complete",
    ),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/delete/", views.token_delete, name="token_delete"),
]
