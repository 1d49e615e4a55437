from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts.forms import ThrottledAuthenticationForm, TokenCreateForm
from inward.accounts.models import User
from inward.accounts.services import token_create, token_revoke

SESSION_NEW_TOKEN = "accounts_new_token"  # noqa: S105 - a session key name, not a secret


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    """Every signed-in user manages their own API tokens; nobody sees anyone else's.

    A new secret is shown once, on the page after the redirect (so a reload cannot create
    a second token), and the page is never cached.
    """
    assert isinstance(request.user, User)
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = token_create(user=request.user, name=form.cleaned_data["name"])
        request.session[SESSION_NEW_TOKEN] = issued.secret
        return redirect("accounts:tokens")
    secret = request.session.pop(SESSION_NEW_TOKEN, None) if request.method == "GET" else None
    context = {"form": form, "secret": secret, "tokens": request.user.api_tokens.all()}
    return render(request, "accounts/tokens.html", context)


@require_POST
def token_delete(request: HttpRequest, token_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    token_revoke(user=request.user, token_id=token_id)
    return redirect("accounts:tokens")
