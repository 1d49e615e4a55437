"""A finished demo campaign with results: what `make run` shows on the analytics pages.

"Leading at Acme" ran from about nine weeks to four weeks ago for the customer-facing
teams. Its deliveries are written as sent, and everything people did afterwards (opens,
clicks, reads, enrolments, completions, recommendations) goes through the same ingest path
as real events (``record_events``), so funnel state and attribution are computed exactly as
they would be in production. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from inward.analytics.events import EventIn, record_events
from inward.analytics.funnel_state import ensure_funnel_rows
from inward.analytics.models import EventKind, EventSource
from inward.audiences.models import Audience
from inward.audiences.selectors import rule_people
from inward.campaigns.models import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    OwnerTeam,
    Purpose,
    Stage,
    Timing,
    Touch,
    Variant,
)
from inward.delivery.models import Channel, Delivery, DeliveryStatus
from inward.delivery.outbox import delivery_message_id
from inward.highlights.models import (
    Highlight,
    HighlightKind,
    Stakeholder,
    StakeholderContact,
)
from inward.learning.models import Offering, OfferingKind

SLUG = "leading-at-acme"
OFFERING_SLUG = "leading-at-acme"
AUDIENCE_SLUG = "customer-facing"
AUDIENCE_RULE = 'department in ("Sales", "Support")'


@dataclass(frozen=True)
class _TouchPlan:
    name: str
    channel: str
    stage: str
    day: int
    subject: str
    body: str
    # Chance to open (e-mail) or read (feed), and to click when opened.
    engage: float
    click: float
    b_subject: str = ""  # a second (B) version of the words, when the touch is a test


TOUCHES = (
    _TouchPlan(
        "Something for team leads is coming",
        "demo-email",
        Stage.AWARENESS,
        0,
        "Something new for the people who lead our customers, {{ person.first_name }}",
        "Next week we open a programme for everyone who leads a customer team.",
        0.62,
        0.08,
    ),
    _TouchPlan(
        "Launch: enrol now",
        "demo-email",
        Stage.INTEREST,
        3,
        "Leading at Acme is open: six weeks, two hours a week",
        "Six short sessions on coaching, feedback and planning.\n\n"
        "[Enrol in Leading at Acme](https://learn.acme.example/leading)",
        0.58,
        0.22,
        b_subject="{{ person.first_name }}, your team asked for this: Leading at Acme",
    ),
    _TouchPlan(
        "What colleagues say",
        "demo-feed",
        Stage.DESIRE,
        10,
        "“I finally have time for my team”: three colleagues on Leading at Acme",
        "Three team leads from Leeuwarden and Utrecht on what changed for them.\n\n"
        "[Read their stories and enrol](https://learn.acme.example/leading)",
        0.45,
        0.12,
    ),
    _TouchPlan(
        "Last call",
        "demo-email",
        Stage.ACTION,
        20,
        "Last week to enrol in Leading at Acme",
        "Enrolment closes on Friday.\n\n[Enrol now](https://learn.acme.example/leading)",
        0.5,
        0.2,
    ),
    _TouchPlan(
        "Tell a colleague",
        "demo-feed",
        Stage.ADVOCACY,
        34,
        "Did Leading at Acme help? Tell a colleague",
        "Recommend the programme to a colleague who leads a team.",
        0.4,
        0.1,
    ),
)


def build_finished_campaign(*, seed: int = 1, today: dt.date | None = None) -> Campaign | None:
    """Create the finished demo campaign and its results; None when it exists already or
    the demo channels or people are missing."""
    if Campaign.objects.filter(slug=SLUG).exists():
        return None
    channels = {c.slug: c for c in Channel.objects.filter(slug__in=["demo-email", "demo-feed"])}
    if len(channels) < 2:
        return None
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        audience = _audience()
        people = list(
            rule_people(rule=audience.rule)
            .order_by("pk")
            .values_list("pk", "language", "email")[:800]
        )
        if len(people) < 20:
            return None
        offering = _offering()
        start = timezone.make_aware(
            dt.datetime.combine(today - dt.timedelta(days=63), dt.time(9, 0))
        )
        campaign = Campaign.objects.create(
            slug=SLUG,
            name="Leading at Acme",
            owner_team=OwnerTeam.LEARNING,
            purpose=Purpose.PERSUADE,
            status=CampaignStatus.COMPLETED,
            audience=audience,
            offering=offering,
            learning_offering="Leading at Acme (programme, six weeks)",
            starts_at=start,
            ends_at=start + dt.timedelta(days=35),
            launched_at=start - dt.timedelta(days=1),
            brief_channels="E-mail for the announcements, the intranet feed for stories.",
            brief_engagement="Team leads read e-mail in the morning; few use Slack.",
            goal_metric="Team leads enrolled in Leading at Acme",
            goal_target="150 enrolments, 100 completions",
            brief_duration="Five weeks: enrolment is open for three, then the stories.",
        )
        touches = [
            _touch(campaign, channels[plan.channel], plan, position, start)
            for position, plan in enumerate(TOUCHES)
        ]
        _simulate(rng, campaign, touches, people, offering)
        _highlights(campaign, today)
    return campaign


def _audience() -> Audience:
    audience = Audience.objects.filter(slug=AUDIENCE_SLUG).first()
    if audience is None:
        audience = Audience.objects.create(
            slug=AUDIENCE_SLUG,
            name="Customer-facing teams",
            rule=AUDIENCE_RULE,
            description="Sales (with Customer Success) and Support.",
        )
    return audience


def _offering() -> Offering:
    offering, _created = Offering.objects.get_or_create(
        slug=OFFERING_SLUG,
        defaults={
            "title": "Leading at Acme",
            "kind": OfferingKind.PROGRAMME,
            "description": "Six weekly sessions on coaching, feedback and planning.",
            "activity_id": "https://learn.acme.example/xapi/activities/leading-at-acme",
            "url": "https://learn.acme.example/leading",
        },
    )
    return offering


def _touch(
    campaign: Campaign, channel: Channel, plan: _TouchPlan, position: int, start: dt.datetime
) -> Touch:
    when = start + dt.timedelta(days=plan.day)
    touch = Touch.objects.create(
        campaign=campaign,
        position=position,
        name=plan.name,
        channel=channel,
        stage=plan.stage,
        timing=Timing.CAMPAIGN_START,
        offset_days=plan.day,
        send_time=dt.time(9, 0),
        approval_status=ApprovalStatus.APPROVED,
        approved_at=start - dt.timedelta(days=2),
        scheduled_at=when,
        materialised_at=when,
    )
    if plan.b_subject:  # an A/B test of the subject line
        Variant.objects.create(
            touch=touch, language="", arm="A", subject=plan.subject, body=plan.body
        )
        Variant.objects.create(
            touch=touch, language="", arm="B", subject=plan.b_subject, body=plan.body
        )
    else:
        Variant.objects.create(touch=touch, language="", subject=plan.subject, body=plan.body)
    return touch


def _simulate(
    rng: random.Random,
    campaign: Campaign,
    touches: list[Touch],
    people: list[tuple[int, str, str]],
    offering: Offering,
) -> int:
    """Deliveries as sent, then what people did, through ``record_events``."""
    domain = "inward.demo"
    events: list[EventIn] = []
    # How keen each person is: keen people open, click and enrol more.
    keenness = {pk: rng.betavariate(2, 3) for pk, _lang, _email in people}
    for touch, plan in zip(touches, TOUCHES, strict=True):
        assert touch.scheduled_at is not None
        variant_ids = list(touch.variants.order_by("arm").values_list("pk", flat=True))
        b_variant = variant_ids[1] if len(variant_ids) > 1 else None
        rows = []
        for pk, _language, _email in people:
            sent = touch.scheduled_at + dt.timedelta(seconds=rng.randint(0, 900))
            rows.append(
                Delivery(
                    touch=touch,
                    person_id=pk,
                    channel=touch.channel,
                    variant_id=rng.choice(variant_ids),
                    status=DeliveryStatus.SENT,
                    due_at=touch.scheduled_at,
                    attempts=1,
                    message_id=delivery_message_id(touch_id=touch.pk, person_id=pk, domain=domain),
                    sent_at=sent,
                )
            )
        Delivery.objects.bulk_create(rows, batch_size=500)
        ensure_funnel_rows(touch)
        written = list(Delivery.objects.filter(touch=touch).order_by("pk"))
        for delivery in written:
            assert delivery.person_id is not None and delivery.sent_at is not None
            # Written when the touch was materialised, before it was sent.
            delivery.created_at, delivery.updated_at = touch.scheduled_at, delivery.sent_at
            delivered = EventIn(
                kind=EventKind.DELIVERED,
                occurred_at=delivery.sent_at,
                source=EventSource.DEMO,
                person_id=delivery.person_id,
                campaign_id=campaign.pk,
                touch_id=touch.pk,
                variant_id=delivery.variant_id,
                channel_id=touch.channel_id,
                delivery_id=delivery.pk,
            )
            events.append(delivered)
            keen = keenness[delivery.person_id]
            lift = 1.3 if delivery.variant_id == b_variant else 1.0
            if rng.random() > plan.engage * lift * 2.2 * keen**1.5:
                continue
            seen = delivery.sent_at + dt.timedelta(minutes=rng.randint(3, 2 * 24 * 60))
            kind = EventKind.READ if touch.channel.kind == "intranet" else EventKind.OPENED
            events.append(replace(delivered, kind=kind, occurred_at=seen))
            delivery.opened_at = delivery.updated_at = seen
            if rng.random() < plan.click * lift * (0.5 + 2 * keen):
                clicked = seen + dt.timedelta(seconds=rng.randint(5, 600))
                events.append(replace(delivered, kind=EventKind.CLICKED, occurred_at=clicked))
                delivery.clicked_at = delivery.updated_at = clicked
        _deliveries_tracked(written)
    events.extend(_learning(rng, campaign, touches, keenness, offering))
    events.sort(key=lambda e: e.occurred_at)
    stored = 0
    for start in range(0, len(events), 1000):
        stored += record_events(events[start : start + 1000])
    return stored


def _deliveries_tracked(deliveries: list[Delivery]) -> None:
    """Store what the tracking would have kept on each delivery: its first open or read
    (``opened_at``, as the open pixel and a feed read set it), its first click
    (``clicked_at``), and when it was written. Set directly: the tracking's own paths
    stamp the time of the request (a feed read) or relabel the events as pixel hits, and
    the demo's events are dated in the past and marked as demo data."""
    Delivery.objects.bulk_update(
        deliveries, ["opened_at", "clicked_at", "created_at", "updated_at"], batch_size=500
    )


def _learning(
    rng: random.Random,
    campaign: Campaign,
    touches: list[Touch],
    keenness: dict[int, float],
    offering: Offering,
) -> list[EventIn]:
    """Enrolments after the launch, completions six weeks later, some recommendations."""
    launch = touches[1].scheduled_at
    assert launch is not None
    out: list[EventIn] = []
    for pk, keen in keenness.items():
        if rng.random() > 0.55 * keen:
            continue
        enrolled = launch + dt.timedelta(hours=rng.randint(2, 24 * 20))
        enrolment = EventIn(
            kind=EventKind.ENROLLED,
            occurred_at=enrolled,
            source=EventSource.DEMO,
            person_id=pk,
            offering_id=offering.pk,
        )
        out.append(enrolment)
        if rng.random() < 0.7:
            done = enrolled + dt.timedelta(days=rng.randint(20, 28))
            out.append(replace(enrolment, kind=EventKind.COMPLETED, occurred_at=done))
            if rng.random() < 0.35:
                said = done + dt.timedelta(days=rng.randint(1, 6))
                out.append(replace(enrolment, kind=EventKind.RECOMMENDED, occurred_at=said))
    return out


STAKEHOLDERS = (
    # name, e-mail, cadence in days, last contact (days ago)
    ("Marieke de Vries", "marieke.devries@example.com", 30, 45),
    ("Tom Bakker", "tom.bakker@example.com", 14, 3),
)


def _highlights(campaign: Campaign, today: dt.date) -> None:
    """Two stakeholders (one who has heard nothing for longer than her cadence) and two
    highlights from the campaign, ready for a digest."""
    enrolled = campaign.recipient_funnels.filter(stage__gte=3).count()
    Highlight.objects.create(
        kind=HighlightKind.NUMBER,
        title="Team leads enrolled in Leading at Acme",
        number_value=str(enrolled),
        number_label="team leads enrolled after the campaign",
        story="Enrolments counted when a campaign message reached them in the 30 days before.",
        campaign=campaign,
    )
    Highlight.objects.create(
        kind=HighlightKind.QUOTE,
        title="“I finally have time for my team”",
        quote_text="The planning session alone gave me back two hours a week.",
        quote_by="Team lead, Support, Leeuwarden",
        campaign=campaign,
    )
    for name, email, cadence, days_ago in STAKEHOLDERS:
        stakeholder, created = Stakeholder.objects.get_or_create(
            email=email, defaults={"name": name, "cadence_days": cadence}
        )
        if created:
            StakeholderContact.objects.create(
                stakeholder=stakeholder,
                contacted_on=today - dt.timedelta(days=days_ago),
                note="Budget review",
            )
