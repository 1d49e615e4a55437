"""Test data for highlights: plain functions that write rows directly."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

from django.utils import timezone
from PIL import Image

from inward.highlights.images import image_clean
from inward.highlights.models import (
    Digest,
    DigestRecipient,
    DigestStatus,
    Highlight,
    HighlightKind,
    RecipientStatus,
    Stakeholder,
)

_seq = itertools.count(1)


def png_bytes(width: int = 40, height: int = 30, color: str = "teal", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG", **save)
    return out.getvalue()


def jpeg_bytes(width: int = 40, height: int = 30, **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, format="JPEG", **save)
    return out.getvalue()


def make_highlight(kind: str = HighlightKind.NUMBER, **fields: Any) -> Highlight:
    n = next(_seq)
    fields.setdefault("title", f"Highlight {n}")
    if kind == HighlightKind.NUMBER:
        fields.setdefault("number_value", "312")
        fields.setdefault("number_label", "enrolled in the first week")
    elif kind == HighlightKind.QUOTE:
        fields.setdefault("quote_text", "I finally understand our numbers.")
        fields.setdefault("quote_by", "Sanne, team lead")
    elif kind == HighlightKind.PICTURE and "image" not in fields:
        clean = image_clean(png_bytes())
        fields |= {
            "image": clean.data,
            "image_type": clean.content_type,
            "image_width": clean.width,
            "image_height": clean.height,
            "image_alt": "People at the kick-off",
        }
    return Highlight.objects.create(kind=kind, **fields)


def local_days_ago(days: int, *, now: dt.datetime | None = None) -> dt.datetime:
    """Noon (local time) ``days`` calendar days before ``now``'s local date.

    Days silent are counted in local calendar days; ``now - timedelta(days=n)`` is n ± 1
    local days back when a DST change lies in between and the hour is near midnight.
    """
    day = timezone.localdate(now or timezone.now()) - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def make_stakeholder(
    *, added_days_ago: int = 0, now: dt.datetime | None = None, **fields: Any
) -> Stakeholder:
    n = next(_seq)
    fields.setdefault("name", f"Stakeholder {n}")
    fields.setdefault("email", f"stakeholder{n}@example.com")
    stakeholder = Stakeholder.objects.create(**fields)
    if added_days_ago:
        created = local_days_ago(added_days_ago, now=now)
        Stakeholder.objects.filter(pk=stakeholder.pk).update(created_at=created)
        stakeholder.refresh_from_db()
    return stakeholder


def make_digest(
    *,
    highlights: list[Highlight] | None = None,
    stakeholders: list[Stakeholder] | None = None,
    **fields: Any,
) -> Digest:
    fields.setdefault("title", f"Learning highlights {next(_seq)}")
    digest = Digest.objects.create(**fields)
    digest.highlights.set(highlights or [])
    digest.stakeholders.set(stakeholders or [])
    return digest


def make_receipt(
    stakeholder: Stakeholder,
    *,
    sent_at: dt.datetime,
    status: str = RecipientStatus.SENT,
) -> DigestRecipient:
    """A digest copy that reached (or failed to reach) ``stakeholder`` at ``sent_at``."""
    digest = make_digest(stakeholders=[stakeholder], status=DigestStatus.SENT)
    return DigestRecipient.objects.create(
        digest=digest,
        stakeholder=stakeholder,
        channel_kind="email",
        status=status,
        sent_at=sent_at if status == RecipientStatus.SENT else None,
    )
