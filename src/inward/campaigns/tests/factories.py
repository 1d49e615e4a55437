"""Test data for campaigns and delivery: plain functions, usable from any app's tests.

They write rows directly (tests arrange state; services are what tests exercise).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from inward.audiences.models import Audience
from inward.campaigns.models import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    OwnerTeam,
    Purpose,
    Timing,
    Touch,
    Variant,
)
from inward.delivery.models import Channel, ChannelKind
from inward.directory.models import Department, Person, Site

_seq = itertools.count(1)


def make_people(
    count: int, *, department: str = "Sales", site: str = "Leeuwarden", **fields: Any
) -> list[Person]:
    dept, _ = Department.objects.get_or_create(path=department, defaults={"name": department})
    place, _ = Site.objects.get_or_create(name=site)
    start = next(_seq) * 100_000
    people = [
        Person(
            email=f"person{start + i}@example.com",
            first_name=f"First{start + i}",
            last_name=f"Last{start + i}",
            department=dept,
            site=place,
            language=fields.get("language", "en"),
            time_zone=fields.get("time_zone", "Europe/Amsterdam"),
        )
        for i in range(count)
    ]
    return Person.objects.bulk_create(people)


def make_channel(kind: str = ChannelKind.EMAIL, **fields: Any) -> Channel:
    n = next(_seq)
    fields.setdefault("slug", f"{kind}-{n}")
    fields.setdefault("name", f"{kind.title()} {n}")
    return Channel.objects.create(kind=kind, **fields)


def make_audience(rule: str = 'department = "Sales"', **fields: Any) -> Audience:
    n = next(_seq)
    fields.setdefault("slug", f"audience-{n}")
    fields.setdefault("name", f"Audience {n}")
    return Audience.objects.create(rule=rule, **fields)


def make_campaign(
    *, audience: Audience | None = None, status: str = CampaignStatus.DRAFT, **fields: Any
) -> Campaign:
    n = next(_seq)
    fields.setdefault("slug", f"campaign-{n}")
    fields.setdefault("name", f"Campaign {n}")
    fields.setdefault("owner_team", OwnerTeam.LEARNING)
    fields.setdefault("purpose", Purpose.PERSUADE)
    fields.setdefault("starts_at", timezone.now())
    fields.setdefault("ends_at", timezone.now() + dt.timedelta(days=30))
    return Campaign.objects.create(
        audience=audience if audience is not None else make_audience(), status=status, **fields
    )


def make_touch(
    campaign: Campaign,
    channel: Channel,
    *,
    subject: str = "Hello {{ person.first_name }}",
    body: str = "You can [enrol here](https://learn.example.com/course).",
    send_at: dt.datetime | None = None,
    approved: bool = True,
    **fields: Any,
) -> Touch:
    fields.setdefault("name", f"Touch {next(_seq)}")
    fields.setdefault("position", campaign.touches.count())
    when = send_at or timezone.now()
    touch = Touch.objects.create(
        campaign=campaign,
        channel=channel,
        timing=Timing.ABSOLUTE,
        send_at=when,
        scheduled_at=when,
        approval_status=ApprovalStatus.APPROVED if approved else ApprovalStatus.PENDING,
        **fields,
    )
    Variant.objects.create(touch=touch, language="", subject=subject, body=body)
    return touch
