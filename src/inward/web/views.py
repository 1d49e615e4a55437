from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inward.accounts import access
from inward.audiences.selectors import audience_list
from inward.directory.selectors import directory_summary, person_for_user


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    if not access.can_read_directory(request.user):
        return redirect("web:me")
    context = {
        # The start page joins the apps; the directory knows nothing of audiences.
        "summary": directory_summary() | {"audiences": audience_list().count()},
        "can_import": access.can_import_directory(request.user),
        "can_edit_audiences": access.can_edit_audiences(request.user),
    }
    return render(request, "web/home.html", context)


def me(request: HttpRequest) -> HttpResponse:
    """An employee's own page: their directory record, and nothing about anyone else."""
    person = person_for_user(request.user)
    return render(request, "web/me.html", {"person": person})
