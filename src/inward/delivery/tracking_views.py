"""The open pixel and click redirects behind the links in messages (``delivery/tracking.py``).

Public: recipients are not signed in when their mail client loads an image or they click.
Neither view waits for the database: the signed token is checked, the hit goes into the
process's hit buffer (``analytics/hits.py``, written in batches by a flusher thread), and
the answer goes back. A click needs the delivery's links: they come from an in-process
cache (``tracking_links.py``) that reads the database only when cold.

Anything not genuine (a bad token, an unknown delivery, a link number the variant does not
have) is a 404: the click view redirects only to a link of the delivery's own variant,
never to an address taken from the request. ``inward/wsgi.py`` serves the same two
answers without Django's middleware (``tracking_answer``); these views are the same logic
for everything else (the test client, ``runserver``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from inward.analytics.hits import Hit, hit_record
from inward.analytics.models import EventKind
from inward.analytics.robots import robot_by_request
from inward.delivery.tracking import click_token_target, open_token_delivery_id
from inward.delivery.tracking_links import delivery_links

# A transparent 1x1 GIF, the smallest image every mail client shows.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@dataclass(frozen=True, slots=True)
class TrackingAnswer:
    """What a tracking request gets: the pixel (``location`` empty) or a redirect."""

    location: str = ""


def open_answer(*, token: str, method: str, user_agent: str) -> TrackingAnswer | None:
    """Take in an open; None when the token is not genuine."""
    delivery_id = open_token_delivery_id(token)
    if delivery_id is None:
        return None
    hit_record(_hit(EventKind.OPENED, delivery_id, None, method, user_agent))
    return TrackingAnswer()


def click_answer(*, token: str, method: str, user_agent: str) -> TrackingAnswer | None:
    """Take in a click (a click is an open too); None when the token is not genuine,
    the delivery is unknown or its variant has no such link."""
    target = click_token_target(token)
    if target is None:
        return None
    links = delivery_links(target.delivery_id)
    if links is None or target.index >= len(links):
        return None
    hit_record(_hit(EventKind.CLICKED, target.delivery_id, target.index, method, user_agent))
    return TrackingAnswer(location=links[target.index])


def _hit(kind: str, delivery_id: int, link: int | None, method: str, agent: str) -> Hit:
    return Hit(
        kind=kind,
        delivery_id=delivery_id,
        at=timezone.now(),
        link=link,
        robot=robot_by_request(method=method, user_agent=agent),
        agent=agent,
        received=time.monotonic(),
    )


@login_not_required
@require_safe
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Record the open; answer the pixel."""
    answer = open_answer(token=token, method=request.method or "GET", user_agent=_agent(request))
    if answer is None:
        raise Http404
    return HttpResponse(PIXEL, content_type="image/gif")  # never_cache: each open reaches us


@login_not_required
@require_safe
@never_cache
def click(request: HttpRequest, token: str) -> HttpResponseRedirect:
    """Record the click (and the open, if the pixel was blocked); redirect to the link."""
    answer = click_answer(token=token, method=request.method or "GET", user_agent=_agent(request))
    if answer is None:
        raise Http404
    return HttpResponseRedirect(answer.location)


def _agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))
