"""Writing a touch's deliveries into the outbox: who gets it, when, and who does not.

The audience is streamed in keyset batches (``pk > last``, ordered by pk) as plain value
tuples, so memory stays flat whatever its size. Each batch is written with one
``bulk_create(ignore_conflicts=True)``: the unique constraints on ``Delivery`` make a second
run (a crash half-way, two workers at once) add nothing.

Nobody is dropped silently: people who opted out of the channel, whose day is a blackout
date, or who already had ``weekly_cap`` touches in the 7 days before get a row with status
``suppressed`` and the reason. Mandatory touches are exempt from all three, and from quiet
hours. People who left the company are not recipients at all.

A touch's ``condition_rule`` (``not enrolled("leadership-101")``) is read when the touch is
materialised, so behaviour up to that moment counts; it narrows the recipients like the
older ``condition`` on an earlier touch, and both apply.

When a reader's best variant has test versions (an A/B test, ``Variant.arm``), a hash of
the touch and person ids picks one (``campaigns.variants.test_arm``): an even split that
is the same on every run and the same as the message preview shows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from inward.audiences.rules import parse_rule
from inward.audiences.selectors import rule_context, rule_people
from inward.campaigns.models import (
    ApprovalStatus,
    Blackout,
    CampaignStatus,
    Condition,
    Recipients,
    Touch,
    Variant,
)
from inward.campaigns.rendering import variant_for
from inward.campaigns.variants import test_arm
from inward.delivery.models import (
    Delivery,
    DeliverySettings,
    DeliveryStatus,
    SuppressReason,
)
from inward.delivery.outbox import (
    NewDelivery,
    deliveries_write,
    delivery_message_id,
    message_domain,
)
from inward.delivery.services import delivery_settings_get
from inward.delivery.timing import local_date, local_due_at, quiet_until, zone_for
from inward.directory.models import Person, Status

BATCH_SIZE = 2000
WEEK = dt.timedelta(days=7)
# Deliveries that count against the weekly cap: gone out, or about to.
CAPPED = [DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.SENDING]
# The columns streamed per recipient: id, language, time zone, and their preferences.
COLUMNS = ("pk", "language", "time_zone", "preference__language", "preference__channels_off")
# Campaign states in which a touch is written into the outbox.
LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)
# PostgreSQL advisory lock namespace for "materialising touch N" (two int4 keys).
LOCK_NAMESPACE = 0x1D1


@dataclass
class MaterialiseReport:
    """What ``touch_materialise`` left in the outbox for one touch.

    ``skipped`` is true when another worker was materialising the touch at the time
    (then ``locked`` is true too), or had written it already, or it was no longer due
    (cancelled, approval withdrawn).
    ``counts`` holds the touch's deliveries per status afterwards, ``suppressed`` per reason.
    """

    touch_id: int
    recipients: int = 0
    skipped: bool = False
    locked: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    """Everything about a touch that is the same for every recipient, loaded once."""

    touch: Touch
    settings: DeliverySettings
    variants: list[Variant]
    home: ZoneInfo
    blackouts: set[dt.date]
    domain: str
    persona_audiences: dict[int, str]
    # (language, persona) → the variants that fit best: one, or several test versions
    # (A/B), or none (no fallback).
    variant_cache: dict[tuple[str, int | None], list[Variant]] = field(default_factory=dict)
    # Zone name → (zone, due time): the same for everyone on that clock.
    due_cache: dict[str, tuple[ZoneInfo, dt.datetime]] = field(default_factory=dict)

    def zone_and_due(self, name: str) -> tuple[ZoneInfo, dt.datetime]:
        found = self.due_cache.get(name)
        if found is None:
            zone = self.zone(name)
            found = self.due_cache[name] = (zone, _due_at(self, zone))
        return found

    def zone(self, name: str) -> ZoneInfo:
        return zone_for(name, fallback=self.settings.default_time_zone)

    def variant_id(
        self, language: str, persona_id: int | None, person_id: int | None = None
    ) -> int | None:
        """The variant this person gets; among test versions (A, B, ...) a stable hash of
        the touch and the person picks one, so a second run picks the same."""
        key = (language, persona_id)
        candidates = self.variant_cache.get(key)
        if candidates is None:
            candidates = self.variant_cache[key] = self._candidates(language, persona_id)
        if len(candidates) <= 1:
            # No fallback variant gives None: the sender records the delivery as failed.
            return candidates[0].pk if candidates else None
        return candidates[test_arm(f"{self.touch.pk}:{person_id}", len(candidates))].pk

    def _candidates(self, language: str, persona_id: int | None) -> list[Variant]:
        try:
            best = variant_for(self.variants, language=language, persona_id=persona_id)
        except LookupError:
            return []
        # The same set, in the same order, as ``variant_for`` splits with a ``split_key``,
        # so the preview shows a person the version they get.
        same = [v for v in self.variants if _variant_key(v) == _variant_key(best)]
        return sorted(same, key=lambda v: v.arm)


def _variant_key(variant: Variant) -> tuple[str, int | None]:
    return variant.language.strip().replace("_", "-").lower(), variant.persona_id


def touch_materialise(
    *, touch: Touch, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> MaterialiseReport:
    """Write the deliveries of ``touch`` and mark it materialised; safe to run again.

    Runs in autocommit, one transaction per batch, so a large audience never holds a long
    transaction (on SQLite that would block the senders). A touch already marked
    materialised, cancelled, no longer approved, or whose campaign is not scheduled or
    running (read again once the lock is held) is left alone, and on PostgreSQL a
    session advisory lock keeps two workers from writing the same touch at once: both
    return a report with ``skipped=True``. If a run stops half-way, the next one writes
    the rest (the unique constraints skip the rows already there).
    """
    now = now or timezone.now()
    with _touch_lock(touch.pk) as locked:
        if not locked or not _still_due(touch):
            return MaterialiseReport(touch_id=touch.pk, skipped=True, locked=not locked)
        plan = _plan(touch)
        if touch.channel.posts_to_channel:
            recipients = _write_post(plan)
        else:
            today = timezone.localdate(now)
            batches = _batches(touch, batch_size, today=today)
            recipients = sum(_write_batch(plan, batch) for batch in batches)
        Touch.objects.filter(pk=touch.pk).update(materialised_at=now, updated_at=now)
        touch.materialised_at = now
    return _report(touch, recipients)


def _still_due(touch: Touch) -> bool:
    """Read again under the lock: the touch may have been written by another worker, or
    cancelled (or its campaign cancelled, or its approval withdrawn) since the scheduler
    picked it; then nothing is written."""
    return Touch.objects.filter(
        pk=touch.pk,
        materialised_at__isnull=True,
        cancelled_at__isnull=True,
        approval_status=ApprovalStatus.APPROVED,
        campaign__status__in=LIVE,
    ).exists()


def touch_recipients(*, touch: Touch, today: dt.date | None = None) -> QuerySet[Person]:
    """Who ``touch`` goes to: the campaign's audience minus its exclusions (or the distinct
    managers of those people), narrowed by the touch's condition and its condition rule
    (windows counted back from ``today``, by default today); never people who left.
    One query, to be streamed. A condition rule that no longer compiles raises RuleError:
    the touch is not written rather than sent to the wrong people."""
    campaign = touch.campaign
    if campaign.audience is None:
        return Person.objects.none()
    people = _without_exclusions(rule_people(rule=campaign.audience.rule), touch)
    if touch.recipients == Recipients.MANAGERS:
        managers = people.exclude(manager_id=None).order_by().values("manager_id")
        people = _without_exclusions(Person.objects.filter(pk__in=managers), touch)
    people = _with_condition_rule(_with_condition(people, touch), touch, today)
    return people.exclude(status=Status.LEFT)


def _with_condition_rule(
    people: QuerySet[Person], touch: Touch, today: dt.date | None
) -> QuerySet[Person]:
    """Only those the touch's ``condition_rule`` holds for. It is a filter on the
    recipients, not an audience: it does not add "active people only" (the audience
    already decided who is in), and for a touch to managers it is read for the managers."""
    if not touch.condition_rule.strip():
        return people
    context = rule_context(today=today)
    return people.filter(context.node_q(parse_rule(touch.condition_rule)))


def _without_exclusions(people: QuerySet[Person], touch: Touch) -> QuerySet[Person]:
    for excluded in touch.campaign.exclusions.all():
        people = people.exclude(pk__in=rule_people(rule=excluded.rule).order_by().values("pk"))
    return people


def _with_condition(people: QuerySet[Person], touch: Touch) -> QuerySet[Person]:
    """Only those who did (not) open or click an earlier touch (``condition_touch``, or the
    touch before this one). A click counts as an open: images are often blocked."""
    if touch.condition == Condition.ALL:
        return people
    earlier = touch.condition_touch_id or _previous_touch_id(touch)
    if earlier is None:
        return people
    engaged = Q(clicked_at__isnull=False)
    if touch.condition in (Condition.OPENED, Condition.NOT_OPENED):
        engaged |= Q(opened_at__isnull=False)
    who = Delivery.objects.filter(engaged, touch_id=earlier, person__isnull=False)
    ids = who.order_by().values("person_id")
    if touch.condition in (Condition.OPENED, Condition.CLICKED):
        return people.filter(pk__in=ids)
    return people.exclude(pk__in=ids)


def _previous_touch_id(touch: Touch) -> int | None:
    earlier = Touch.objects.filter(campaign_id=touch.campaign_id).filter(
        Q(position__lt=touch.position) | Q(position=touch.position, pk__lt=touch.pk)
    )
    return earlier.order_by("-position", "-pk").values_list("pk", flat=True).first()


def _batches(touch: Touch, size: int, *, today: dt.date) -> Iterator[list[tuple[Any, ...]]]:
    rows = touch_recipients(touch=touch, today=today).order_by("pk").values_list(*COLUMNS)
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:size])
        if not batch:
            return
        last = batch[-1][0]
        # A rule that joins a many-valued relation could repeat a person; keep the first.
        yield list({row[0]: row for row in batch}.values())


# Planning -----------------------------------------------------------------------------------


def _plan(touch: Touch) -> _Plan:
    settings = delivery_settings_get()
    variants = list(touch.variants.select_related("persona__audience"))
    personas = {
        v.persona.pk: v.persona.audience.rule
        for v in variants
        if v.persona is not None and v.persona.audience is not None
    }
    when = touch.scheduled_at or timezone.now()
    return _Plan(
        touch=touch,
        settings=settings,
        variants=variants,
        home=zone_for(touch.campaign.time_zone, fallback=settings.default_time_zone),
        blackouts=_blackouts_near(when),
        domain=message_domain(),
        persona_audiences=personas,
    )


def _blackouts_near(when: dt.datetime) -> set[dt.date]:
    # Local times, and quiet hours, move a due time at most about a day either way.
    day = when.date()
    span = (day - dt.timedelta(days=2), day + dt.timedelta(days=3))
    return set(Blackout.objects.filter(date__range=span).values_list("date", flat=True))


def _due_at(plan: _Plan, zone: ZoneInfo) -> dt.datetime:
    touch = plan.touch
    scheduled = touch.scheduled_at or timezone.now()
    if touch.local_time:
        due = local_due_at(
            scheduled_at=scheduled, send_time=touch.send_time, home=plan.home, zone=zone
        )
    else:
        due = scheduled
    if touch.mandatory:
        return due
    start, end = plan.settings.quiet_start, plan.settings.quiet_end
    return quiet_until(due, zone=zone, start=start, end=end) or due


# Writing ------------------------------------------------------------------------------------


def _write_batch(plan: _Plan, batch: list[tuple[Any, ...]]) -> int:
    ids = [row[0] for row in batch]
    personas = _personas_of(plan, ids)
    plans = []
    for person_id, language, zone_name, pref_language, channels_off in batch:
        zone, due = plan.zone_and_due(zone_name)
        variant = plan.variant_id(
            pref_language or language or "", personas.get(person_id), person_id
        )
        reason = _suppress_reason(plan, zone, due, channels_off)
        plans.append((person_id, due, variant, reason))
    capped = _over_cap(plan, [(p, due) for p, due, _, reason in plans if not reason])
    rows = [
        _delivery(plan, person_id, due, variant, reason or capped.get(person_id, ""))
        for person_id, due, variant, reason in plans
    ]
    deliveries_write(touch_id=plan.touch.pk, channel_id=plan.touch.channel_id, rows=rows)
    return len(rows)


def _write_post(plan: _Plan) -> int:
    zone = plan.zone("")
    due = _due_at(plan, zone)
    reason = _suppress_reason(plan, zone, due, channels_off=None)
    row = _delivery(plan, None, due, plan.variant_id("", None), reason)
    deliveries_write(touch_id=plan.touch.pk, channel_id=plan.touch.channel_id, rows=[row])
    return 1


def _delivery(
    plan: _Plan, person_id: int | None, due: dt.datetime, variant_id: int | None, reason: str
) -> NewDelivery:
    status = DeliveryStatus.SUPPRESSED if reason else DeliveryStatus.PENDING
    touch_id = plan.touch.pk
    message_id = delivery_message_id(touch_id=touch_id, person_id=person_id, domain=plan.domain)
    return (person_id, variant_id, status, due, message_id, reason)


def _suppress_reason(
    plan: _Plan, zone: ZoneInfo, due: dt.datetime, channels_off: Sequence[str] | None
) -> str:
    if plan.touch.mandatory:
        return ""
    if channels_off and plan.touch.channel.kind in channels_off:
        return SuppressReason.OPTED_OUT
    if local_date(due, zone=zone) in plan.blackouts:
        return SuppressReason.BLACKOUT
    return ""


def _personas_of(plan: _Plan, ids: list[int]) -> dict[int, int]:
    """Each person's persona, among those the touch has variants for (first by id wins).
    Costs one query per persona per batch, and nothing for touches without persona
    variants."""
    found: dict[int, int] = {}
    for persona_id, rule in sorted(plan.persona_audiences.items()):
        members = rule_people(rule=rule).filter(pk__in=ids).values_list("pk", flat=True)
        for person_id in members:
            found.setdefault(person_id, persona_id)
    return found


def _over_cap(plan: _Plan, due_by_person: list[tuple[int, dt.datetime]]) -> dict[int, str]:
    """People who already have ``weekly_cap`` deliveries (sent or on their way) due in
    the 7 days before this one's due time. A cap of 0 means no cap."""
    cap = plan.settings.weekly_cap
    if plan.touch.mandatory or cap <= 0 or not due_by_person:
        return {}
    dues = dict(due_by_person)
    earlier = Delivery.objects.filter(
        person_id__in=list(dues),
        generation=0,
        status__in=CAPPED,
        due_at__gt=min(dues.values()) - WEEK,
        due_at__lte=max(dues.values()),
    ).exclude(touch_id=plan.touch.pk)
    counts: Counter[int] = Counter()
    for person_id, due in earlier.values_list("person_id", "due_at"):
        if dues[person_id] - WEEK < due <= dues[person_id]:
            counts[person_id] += 1
    return {p: SuppressReason.FREQUENCY_CAP for p, n in counts.items() if n >= cap}


def _report(touch: Touch, recipients: int) -> MaterialiseReport:
    rows = Delivery.objects.filter(touch_id=touch.pk, generation=0).order_by()
    counts: dict[str, int] = defaultdict(int)
    suppressed: dict[str, int] = {}
    for row in rows.values("status", "suppressed_reason").annotate(n=Count("pk")):
        counts[row["status"]] += row["n"]
        if row["status"] == DeliveryStatus.SUPPRESSED:
            suppressed[row["suppressed_reason"]] = row["n"]
    return MaterialiseReport(
        touch_id=touch.pk, recipients=recipients, counts=dict(counts), suppressed=suppressed
    )


@contextmanager
def _touch_lock(touch_id: int) -> Iterator[bool]:
    """A PostgreSQL session advisory lock on one touch, taken without waiting (yields
    whether it was granted); on SQLite, whose writers are serialised anyway, always
    granted. A session lock, not a transaction one, because batches commit one by one; it
    goes with the connection if the worker dies."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = [LOCK_NAMESPACE, touch_id % 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", key)
        row = cursor.fetchone()
    held = bool(row and row[0])
    try:
        yield held
    finally:
        if held and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)
