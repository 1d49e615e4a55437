"""The open pixel and click redirects behind the links in messages (``delivery/tracking.py``).

Public: recipients are not signed in when their mail client loads an image or they click.
Each view does one targeted UPDATE. Anything not genuine (a bad token, an unknown delivery,
a link number the variant does not have) is a 404: the click view redirects only to a link
of the delivery's own variant, never to an address taken from the request.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib.auth.decorators import login_not_required
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from inward.campaigns.models import Variant
from inward.campaigns.rendering import TemplateProblem, compile_variant
from inward.delivery.models import Delivery
from inward.delivery.tracking import click_token_target, open_token_delivery_id

# A transparent 1x1 GIF, the smallest image every mail client shows.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@login_not_required
@require_safe
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Record the first open; answer the pixel."""
    delivery_id = open_token_delivery_id(token)
    if delivery_id is None:
        raise Http404
    Delivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(opened_at=timezone.now())
    return HttpResponse(PIXEL, content_type="image/gif")  # never_cache: each open reaches us


@login_not_required
@require_safe
@never_cache
def click(request: HttpRequest, token: str) -> HttpResponseRedirect:
    """Record the click (and the open, if the pixel was blocked); redirect to the link."""
    target = click_token_target(token)
    if target is None:
        raise Http404
    row = (
        Delivery.objects.filter(pk=target.delivery_id)
        .values("variant_id", "variant__updated_at")
        .first()
    )
    if row is None or row["variant_id"] is None:
        raise Http404
    links = variant_links(row["variant_id"], row["variant__updated_at"])
    if target.index >= len(links):
        raise Http404
    now = timezone.now()
    Delivery.objects.filter(pk=target.delivery_id).update(
        clicked_at=Coalesce("clicked_at", now), opened_at=Coalesce("opened_at", now)
    )
    return HttpResponseRedirect(links[target.index])


@functools.lru_cache(maxsize=256)
def variant_links(variant_id: int, updated_at: dt.datetime) -> tuple[str, ...]:
    """The http(s) links of a variant, in order; compiled once per version of the variant
    (``updated_at`` is part of the key, so an edit is never served stale)."""
    variant = Variant.objects.filter(pk=variant_id).values("subject", "body").first()
    if variant is None:
        return ()
    try:
        compiled = compile_variant(subject=variant["subject"], body=variant["body"])
    except TemplateProblem:
        return ()
    return tuple(link for link in compiled.links if link.startswith(("https://", "http://")))
