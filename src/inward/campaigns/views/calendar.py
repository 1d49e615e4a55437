"""One calendar across teams: every scheduled touch in a month or a week, coloured by team,
with warnings where one audience gets several touches on a day, and blackout days.
Also the blackout list, where admins and managers add and remove blackout days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.campaigns import services
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import BlackoutForm
from inward.campaigns.models import Blackout, Campaign, OwnerTeam
from inward.campaigns.selectors import (
    CalendarEntry,
    CalendarWarning,
    calendar_blackouts,
    calendar_entries,
    calendar_warnings,
)
from inward.campaigns.views._common import actor, form_error, refused

VIEWS = ("month", "week")


@dataclass(frozen=True)
class Slot:
    """A touch on the calendar with its campaign's team, which picks its colour."""

    entry: CalendarEntry
    team: str


@dataclass
class Day:
    date: dt.date
    in_range: bool
    today: bool
    slots: list[Slot] = field(default_factory=list)
    blackout: Blackout | None = None
    warnings: list[CalendarWarning] = field(default_factory=list)


@require_http_methods(["GET"])
def calendar(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    today = timezone.localdate()
    anchor = _parse_date(request.GET.get("date", "")) or today
    first, last = _span(view, anchor)
    days = _days(first, last, anchor if view == "month" else None, today)
    context = {
        "view": view,
        "anchor": anchor,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "days": days,
        "previous": _step(view, anchor, -1),
        "next": _step(view, anchor, 1),
        "today": today,
        "teams": OwnerTeam.choices,
        "entry_count": sum(len(day.slots) for day in days),
        "can_edit": access.can_edit_campaigns(request.user),
    }
    return render(request, "campaigns/calendar.html", context)


@require_http_methods(["GET", "POST"])
def blackout_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    can_edit = access.can_edit_campaigns(request.user)
    if request.method == "POST":
        access.require(can_edit)
    form = BlackoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blackout = services.blackout_create(actor=actor(request), **form.cleaned_data)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Blackout day %(date)s added.") % {"date": blackout.date})
            return redirect("campaigns:blackouts")
    today = timezone.localdate()
    context = {
        "form": form,
        "can_edit": can_edit,
        "upcoming": list(Blackout.objects.filter(date__gte=today)),
        "past": list(Blackout.objects.filter(date__lt=today).order_by("-date")[:20]),
    }
    return render(request, "campaigns/blackout_list.html", context)


@require_POST
def blackout_delete(request: HttpRequest, blackout_id: int) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    blackout = get_object_or_404(Blackout, pk=blackout_id)
    try:
        services.blackout_delete(actor=actor(request), blackout=blackout)
    except CampaignError as error:
        refused(request, error)
    else:
        messages.success(request, _("Blackout day %(date)s removed.") % {"date": blackout.date})
    return redirect("campaigns:blackouts")


# --- Helpers --------------------------------------------------------------------------------


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _span(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day shown: whole weeks, Monday to Sunday."""
    if view == "week":
        first = anchor - dt.timedelta(days=anchor.weekday())
        return first, first + dt.timedelta(days=6)
    start = anchor.replace(day=1)
    end = _step("month", start, 1) - dt.timedelta(days=1)
    first = start - dt.timedelta(days=start.weekday())
    return first, end + dt.timedelta(days=6 - end.weekday())


def _step(view: str, anchor: dt.date, direction: int) -> dt.date:
    if view == "week":
        return anchor + dt.timedelta(days=7 * direction)
    month = anchor.month - 1 + direction
    return dt.date(anchor.year + month // 12, month % 12 + 1, 1)


def _days(first: dt.date, last: dt.date, month_of: dt.date | None, today: dt.date) -> list[Day]:
    """Each day shown with its touches, blackout and warnings."""
    entries = calendar_entries(start=first, end=last)
    teams = dict(
        Campaign.objects.filter(slug__in={e.campaign_slug for e in entries}).values_list(
            "slug", "owner_team"
        )
    )
    by_day: dict[dt.date, list[Slot]] = defaultdict(list)
    for entry in entries:
        by_day[entry.day].append(Slot(entry, teams.get(entry.campaign_slug, "other")))
    warnings: dict[dt.date, list[CalendarWarning]] = defaultdict(list)
    for warning in calendar_warnings(start=first, end=last, entries=entries):
        warnings[warning.day].append(warning)
    blackouts = {b.date: b for b in calendar_blackouts(start=first, end=last)}
    days = []
    for offset in range((last - first).days + 1):
        date = first + dt.timedelta(days=offset)
        in_range = month_of is None or date.month == month_of.month
        days.append(
            Day(date, in_range, date == today, by_day[date], blackouts.get(date), warnings[date])
        )
    return days
