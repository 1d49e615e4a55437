"""Small pieces the campaign views share: the acting user, sorted pages, and turning a
refused change (``CampaignError``) into a message or a form error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from inward.accounts.models import User
from inward.campaigns.errors import CampaignError

PAGE_SIZE = 25
# Where a refused change belongs on a form, for errors that do not name a field.
CODE_FIELDS = {
    "slug_invalid": "slug",
    "slug_taken": "slug",
    "dates": "ends_at",
    "time_zone": "time_zone",
    "name_missing": "name",
}


def actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def sorted_page[M: Model](
    request: HttpRequest, queryset: QuerySet[M], sorts: dict[str, tuple[str, Any]], default: str
) -> tuple[str, Page[M]]:
    """The requested sort (a key of ``sorts``, else ``default``) and that page of rows."""
    sort = request.GET.get("sort", default)
    sort = sort if sort in sorts else default
    ordered = queryset.order_by(sorts[sort][0], "pk")
    return sort, Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The list's query string minus the page, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def refused(request: HttpRequest, error: CampaignError) -> None:
    """Tell the person why the change was refused, on the next page they see."""
    messages.error(request, error.message)


def form_error(form: forms.Form, error: CampaignError) -> None:
    """Put a refused change on the field it is about, or on the form as a whole."""
    field = error.field or CODE_FIELDS.get(error.code)
    field = field if field in form.fields else None
    form.add_error(field, error.message)
