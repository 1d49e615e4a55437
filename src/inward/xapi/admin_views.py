"""Pages for admins: the LMS clients that may send learning records, and the statements
about people Inward could not find in the directory."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inward.accounts import access
from inward.accounts.models import User
from inward.xapi.clients import client_delete, client_set_enabled, create_client, lrs_endpoint
from inward.xapi.forms import LrsClientForm
from inward.xapi.matching import actor_ifi, object_activity_id
from inward.xapi.models import LrsClient, Statement
from inward.xapi.validation import VOIDED_VERB

PAGE_SIZE = 50
SESSION_NEW_CLIENT = "lrs_new_client"
# How long a new client's secret waits in the session for the page that shows it: the
# redirect takes a moment; a secret nobody came for should not sit in the session table.
NEW_SECRET_SECONDS = 300


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of an address, with the scheme's default port spelled out."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port out of range: no port matches it
        port = -1
    return parts.scheme, parts.hostname or "", port


def _served_elsewhere(request: HttpRequest) -> str:
    """The address the admin has Inward open at, when that is not where ``INWARD_BASE_URL``
    (and so the endpoint a learning system is given) points; else "". A learning system
    configured with an endpoint nobody serves sends its records into the void."""
    here = request.build_absolute_uri("/")
    if _origin(here) == _origin(settings.INWARD_BASE_URL):
        return ""
    return here.rstrip("/")


def _endpoint_context(request: HttpRequest) -> dict[str, str]:
    return {"endpoint": lrs_endpoint(), "served_at": _served_elsewhere(request)}


def _admin(request: HttpRequest) -> User:
    access.require(access.is_admin(request.user))
    assert isinstance(request.user, User)
    return request.user


MISSING = ("person", "activity")


def unmatched_statements(missing: str = "person") -> QuerySet[Statement]:
    """Learning records about nobody in the directory (or, with ``missing="activity"``,
    about no offering in the catalogue). Voided ones are left out, and so are the voiding
    statements themselves: they are bookkeeping, not learning."""
    statements = Statement.objects.filter(voided=False).exclude(verb_id=VOIDED_VERB)
    if missing == "activity":
        return statements.filter(offering__isnull=True)
    return statements.filter(person__isnull=True)


@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    request.session.pop(SESSION_NEW_CLIENT, None)  # not shown by now: never shown
    clients = (
        LrsClient.objects.select_related("created_by")
        .annotate(statement_count=Count("statements"))
        .order_by("name", "pk")
    )
    unmatched_count = unmatched_statements().count()
    context = {"clients": clients, "unmatched_count": unmatched_count, **_endpoint_context(request)}
    return render(request, "xapi/client_list.html", context)


@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = LrsClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client, secret = create_client(name=form.cleaned_data["name"], created_by=user)
        # Shown on the next page, once: a reload there cannot show it again, and a reload
        # here cannot make a second client.
        request.session[SESSION_NEW_CLIENT] = {
            "id": client.pk,
            "secret": secret,
            "until": time.time() + NEW_SECRET_SECONDS,
        }
        return redirect("lrs_admin:client_created")
    return render(request, "xapi/client_form.html", {"form": form})


@never_cache
@require_GET
def client_created(request: HttpRequest) -> HttpResponse:
    _admin(request)
    new = request.session.pop(SESSION_NEW_CLIENT, None)
    fresh = isinstance(new, dict) and new.get("until", 0) > time.time()
    client = LrsClient.objects.filter(pk=new["id"]).first() if fresh and new else None
    if client is None or not isinstance(new, dict):
        messages.info(request, _("A client's secret is shown only once, right after it is made."))
        return redirect("lrs_admin:client_list")
    context = {"client": client, "secret": new["secret"], **_endpoint_context(request)}
    return render(request, "xapi/client_created.html", context)


@require_POST
def client_set_enabled_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    client = get_object_or_404(LrsClient, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    client_set_enabled(client=client, enabled=enabled, actor=user)
    if enabled:
        messages.success(request, _("“%(name)s” may send records again.") % {"name": client.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is disabled: its requests are refused until you enable it.")
            % {"name": client.name},
        )
    return redirect("lrs_admin:client_list")


@require_http_methods(["GET", "POST"])
def client_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    client = get_object_or_404(LrsClient, pk=pk)
    if request.method == "POST":
        client_delete(client=client, actor=user)
        messages.success(request, _("“%(name)s” deleted.") % {"name": client.name})
        return redirect("lrs_admin:client_list")
    context = {"client": client, "statement_count": client.statements.count()}
    return render(request, "xapi/client_confirm_delete.html", context)


@dataclass(frozen=True)
class StatementRow:
    statement: Statement
    actor: str
    verb: str
    verb_id: str
    object_id: str


def _row(statement: Statement) -> StatementRow:
    data: dict[str, Any] = statement.data if isinstance(statement.data, dict) else {}
    verb = data.get("verb") if isinstance(data.get("verb"), dict) else {}
    display = verb.get("display") if isinstance(verb, dict) else None
    label = ""
    if isinstance(display, dict) and display:
        label = str(display.get("en-US") or display.get("en") or next(iter(display.values())))
    return StatementRow(
        statement=statement,
        actor=actor_ifi(data.get("actor")),
        verb=label or statement.verb_id.rstrip("/").rsplit("/", 1)[-1],
        verb_id=statement.verb_id,
        object_id=object_activity_id(data) or "",
    )


@require_GET
def unmatched(request: HttpRequest) -> HttpResponse:
    """Statements whose actor is nobody in the directory, or whose activity is no offering
    in the catalogue; newest first."""
    _admin(request)
    missing = request.GET.get("missing", "")
    missing = missing if missing in MISSING else "person"
    statements = unmatched_statements(missing).select_related("client").order_by("-stored", "-seq")
    client_id = request.GET.get("client", "")
    if client_id.isdigit():
        statements = statements.filter(client_id=int(client_id))
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query_string": urlencode({"missing": missing, "client": client_id}),
        "rows": [_row(s) for s in page.object_list],
        "clients": LrsClient.objects.order_by("name", "pk"),
        "client_id": client_id if client_id.isdigit() else "",
        "missing": missing,
    }
    return render(request, "xapi/unmatched.html", context)


@require_POST
def rematch_view(request: HttpRequest) -> HttpResponse:
    """Match the stored statements again, in the background (after a directory import or
    a new offering)."""
    _admin(request)
    from inward.xapi.tasks import lrs_rematch_task  # the task module imports matching

    client_id = request.POST.get("client", "")
    lrs_rematch_task.enqueue(client_id=int(client_id) if client_id.isdigit() else None)
    messages.success(
        request,
        _("Matching the stored statements again. Reload in a minute to see what is left."),
    )
    missing = request.POST.get("missing", "")
    query = urlencode(
        {
            "missing": missing if missing in MISSING else "person",
            "client": client_id if client_id.isdigit() else "",
        }
    )
    return redirect(f"{reverse('lrs_admin:unmatched')}?{query}")
