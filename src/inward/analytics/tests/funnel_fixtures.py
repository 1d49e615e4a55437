"""A constructed campaign for the report tests: funnel rows, deliveries and credit
written directly, so the numbers are known without running ingest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from inward.analytics.models import Attribution, RecipientFunnel
from inward.campaigns.models import Campaign, Touch, Variant
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Channel, Delivery, DeliveryStatus
from inward.directory.models import Department, Person

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
AT = ("reached_at", "engaged_at", "acted_at", "completed_at", "advocated_at")


@dataclass
class Built:
    campaign: Campaign
    touch: Touch
    channel: Channel
    people: list[Person]


def funnel_rows(
    campaign: Campaign, people: Sequence[Person], stages: Sequence[int], *, day: int = 0
) -> None:
    """One funnel row per person at the given stage, each stage reached on ``day`` + the
    stage's number of days after START (so every stage up to theirs has a time, as
    ingest keeps it), with the person's department."""
    rows = []
    for person, stage in zip(people, stages, strict=True):
        times = {AT[k - 1]: START + dt.timedelta(days=day + k) for k in range(1, stage + 1)}
        rows.append(
            RecipientFunnel(
                campaign=campaign, person=person, stage=stage,
                department_id=person.department_id, site_id=person.site_id,
                language=person.language, **times,
            )
        )  # fmt: skip
    RecipientFunnel.objects.bulk_create(rows)


def deliveries(
    touch: Touch,
    people: Sequence[Person],
    *,
    variant: Variant | None = None,
    sent: bool = True,
    opened: Sequence[bool] = (),
) -> None:
    opened = list(opened) or [False] * len(people)
    Delivery.objects.bulk_create(
        Delivery(
            touch=touch, person=p, channel=touch.channel, variant=variant or touch.variants.first(),
            status=DeliveryStatus.SENT if sent else DeliveryStatus.SUPPRESSED,
            due_at=START, sent_at=START if sent else None, message_id=f"<{touch.pk}.{p.pk}@x>",
            opened_at=START + dt.timedelta(hours=1) if o else None,
        )
        for p, o in zip(people, opened, strict=True)
    )  # fmt: skip


def credit(
    campaign: Campaign, touch: Touch | None, person: Person, kind: str, weight: float = 1
) -> None:
    for model in ("first", "last", "linear"):
        Attribution.objects.create(
            campaign=campaign, touch=touch, person=person, kind=kind,
            occurred_at=START + dt.timedelta(days=3), model=model, weight=weight,
        )  # fmt: skip


def sales_and_support(
    stages_sales: Sequence[int], stages_support: Sequence[int], *, slug: str = "spring"
) -> Built:
    """A campaign with one touch to everyone; Sales and Support people at the stages
    given (their deliveries sent when the stage is at least reached, and opened when it
    is at least engaged, as ingest would have it)."""
    channel = make_channel()
    campaign = make_campaign(slug=slug, name="Spring")
    touch = make_touch(campaign, channel, name="Launch mail")
    sales = make_people(len(stages_sales), department="Sales")
    support = make_people(len(stages_support), department="Support")
    people = [*sales, *support]
    stages = [*stages_sales, *stages_support]
    funnel_rows(campaign, people, stages)
    reached = [(p, s) for p, s in zip(people, stages, strict=True) if s >= 1]
    deliveries(touch, [p for p, _s in reached], opened=[s >= 2 for _p, s in reached])
    deliveries(touch, [p for p, s in zip(people, stages, strict=True) if s == 0], sent=False)
    return Built(campaign, touch, channel, people)


def department(name: str) -> str:
    return str(Department.objects.get(path=name).pk)
