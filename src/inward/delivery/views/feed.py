"""The employee's intranet feed and their delivery preferences.

Everyone signed in has a feed: it is the inbox of the directory person with their e-mail
address. Items are looked up through that person, so nobody can open another person's
item (404, not 403: an item's existence is not revealed). The signed preferences link in
e-mails opens the same preferences form without signing in, for as long as the link lasts;
an expired or broken link gets a page that says so and offers to sign in instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from inward.campaigns.errors import CampaignError
from inward.delivery.forms import PreferenceForm
from inward.delivery.models import FeedItem, Preference
from inward.delivery.services import feed_item_acknowledge, feed_item_read, preference_update
from inward.delivery.tracking import preferences_link_age, preferences_link_read
from inward.directory.models import Person
from inward.directory.selectors import person_for_user

PAGE_SIZE = 20
PINNED = 5  # critical items awaiting acknowledgement, listed above the feed


@never_cache  # back from an item, the list must show it read
@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    person = person_for_user(request.user)
    if person is None:
        return render(request, "delivery/feed_no_person.html")
    mine = FeedItem.objects.filter(person=person)
    counts = mine.aggregate(
        total=Count("pk"),
        unread=Count("pk", filter=Q(read_at=None)),
        to_acknowledge=Count("pk", filter=Q(critical=True, acknowledged_at=None)),
    )
    paginator = Paginator(mine.defer("body_html", "delivery_id"), PAGE_SIZE)
    paginator.count = counts["total"]  # counted above with the rest: one query fewer
    page = paginator.get_page(request.GET.get("page"))
    # Named at the top whatever page they are on, so none waits unseen on page 3.
    waiting = (
        list(mine.filter(critical=True, acknowledged_at=None).only("subject")[:PINNED])
        if counts["to_acknowledge"]
        else []
    )
    context = {"page": page, "waiting": waiting, **counts}
    return render(request, "delivery/feed_inbox.html", context)


@never_cache
@require_http_methods(["GET"])
def item(request: HttpRequest, item_id: int) -> HttpResponse:
    feed_item = feed_item_read(item=_own_item(request, item_id))
    return render(request, "delivery/feed_item.html", {"item": feed_item})


@require_POST
def acknowledge(request: HttpRequest, item_id: int) -> HttpResponse:
    feed_item = _own_item(request, item_id)
    if not feed_item.critical:
        # Only critical items ask for it; an acknowledgement elsewhere would mean nothing.
        return redirect("feed:item", item_id=feed_item.pk)
    feed_item_acknowledge(item=feed_item)
    messages.success(request, _("Thank you: we have recorded that you read this."))
    return redirect("feed:item", item_id=feed_item.pk)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    person = person_for_user(request.user)
    if person is None:
        return render(request, "delivery/feed_no_person.html")
    return _preferences_form(request, person, signed=False)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def preferences_signed(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the preferences link in every message: the token names the person,
    so it works on a phone without an account. CSRF protection still applies. A link that
    has expired (410) or does not work (404) explains that and offers to sign in."""
    link = preferences_link_read(token)
    person = Person.objects.filter(pk=link.person_id).first() if link.person_id else None
    if person is None:
        response = _link_not_working(request, expired=link.expired)
    else:
        response = _preferences_form(request, person, signed=True)
    # The token is a key to this page: it must not leak to other sites through Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _link_not_working(request: HttpRequest, *, expired: bool) -> HttpResponse:
    sign_in = resolve_url(settings.LOGIN_URL)
    context = {
        "expired": expired,
        "days": preferences_link_age().days,
        "sign_in_url": f"{sign_in}?{urlencode({'next': reverse('feed:preferences')})}",
    }
    status = 410 if expired else 404
    return render(request, "delivery/preferences_link.html", context, status=status)


# --- Helpers --------------------------------------------------------------------------------


def _own_item(request: HttpRequest, item_id: int) -> FeedItem:
    """The signed-in person's item, or 404 (also for people without a directory record)."""
    person = person_for_user(request.user)
    if person is None:
        raise Http404("no directory record")
    return get_object_or_404(FeedItem, pk=item_id, person=person)


def _preferences_form(request: HttpRequest, person: Person, *, signed: bool) -> HttpResponse:
    preference = Preference.objects.filter(person=person).first()
    if request.method == "POST":
        form = PreferenceForm(request.POST, person=person)
        if form.is_valid() and _save_preferences(form, person):
            messages.success(request, _("Your preferences are saved."))
            return redirect(request.path)
    else:
        form = PreferenceForm(initial=PreferenceForm.initial_from(preference), person=person)
    context: dict[str, Any] = {"form": form, "person": person, "signed": signed}
    return render(request, "delivery/preferences.html", context)


def _save_preferences(form: PreferenceForm, person: Person) -> bool:
    try:
        preference_update(
            person=person,
            channels_off=form.channels_off(),
            language=form.cleaned_data["language"],
        )
    except CampaignError as error:
        form.add_error(None, error.message)
        return False
    return True
