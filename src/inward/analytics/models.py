"""The engagement event stream and what is kept up to date from it at ingest.

``EngagementEvent`` is the raw record: one row per thing a person did with a message or an
offering. ``RecipientFunnel`` is each recipient's furthest funnel stage in one campaign,
updated when an event is recorded, so a funnel report reads one row per recipient instead
of scanning events. ``Attribution`` says which campaign touches get the credit for an
enrolment or completion. ``EventRollup`` keeps daily counts of raw events that the
retention period removed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    READ = "read", _("Read")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    REACTED = "reacted", _("Reacted")
    REPLIED = "replied", _("Replied")
    ENROLLED = "enrolled", _("Enrolled")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    PASSED = "passed", _("Passed")
    RECOMMENDED = "recommended", _("Recommended")


class EventSource(models.TextChoices):
    SENDER = "sender", _("Sender")
    PIXEL = "pixel", _("Open pixel")
    CLICK = "click", _("Tracked link")
    FEED = "feed", _("Intranet feed")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")
    XAPI = "xapi", _("Learning record store")
    DEMO = "demo", _("Demo data")
    MANUAL = "manual", _("Entered by hand")


class FunnelStage(models.IntegerChoices):
    """Cumulative: a recipient at stage N counts in every stage up to N, so a funnel never
    grows from one stage to the next."""

    AUDIENCE = 0, _("Audience")
    REACHED = 1, _("Reached")
    ENGAGED = 2, _("Engaged")
    ACTED = 3, _("Acted")
    COMPLETED = 4, _("Completed")
    ADVOCATED = 5, _("Advocated")


# Which event kinds move a recipient to which stage.
STAGE_OF_KIND: dict[str, int] = {
    EventKind.DELIVERED: FunnelStage.REACHED,
    EventKind.OPENED: FunnelStage.ENGAGED,
    EventKind.CLICKED: FunnelStage.ENGAGED,
    EventKind.READ: FunnelStage.ENGAGED,
    EventKind.ACKNOWLEDGED: FunnelStage.ENGAGED,
    EventKind.REACTED: FunnelStage.ENGAGED,
    EventKind.REPLIED: FunnelStage.ENGAGED,
    EventKind.ENROLLED: FunnelStage.ACTED,
    EventKind.STARTED: FunnelStage.ACTED,
    EventKind.COMPLETED: FunnelStage.COMPLETED,
    EventKind.PASSED: FunnelStage.COMPLETED,
    EventKind.RECOMMENDED: FunnelStage.ADVOCATED,
}


class EngagementEvent(models.Model):
    """One thing one person did (or that happened to them): a message delivered, opened,
    clicked, read, acknowledged; a course enrolled in, started, completed, passed,
    recommended. ``robot`` marks hits recognised as mail scanners, link checkers or
    crawlers: kept for the record, never counted."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    source = models.CharField(max_length=20, choices=EventSource.choices)
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="engagement_events",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    touch = models.ForeignKey(
        "campaigns.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant = models.ForeignKey(
        "campaigns.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        "delivery.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.ForeignKey(
        "delivery.Delivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    offering = models.ForeignKey(
        "learning.Offering", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement_id = models.UUIDField(null=True, blank=True, help_text="xAPI statement id")
    robot = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["person", "kind", "occurred_at"], name="event_person_kind"),
            models.Index(fields=["campaign", "kind", "occurred_at"], name="event_campaign_kind"),
            models.Index(fields=["offering", "kind", "occurred_at"], name="event_offering_kind"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
            models.Index(fields=["statement_id"], name="event_statement"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.person_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class RecipientFunnel(models.Model):
    """One recipient's furthest stage in one campaign, kept current at ingest.

    A row is written when a delivery for the campaign is materialised (stage AUDIENCE), and
    moved forward by events. ``*_at`` is the first time at that stage or beyond. The
    dimensions (language, persona, department, site, first channel and variant) are copied
    when the row is written, so breakdowns read this table alone.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="recipient_funnels"
    )
    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    stage = models.PositiveSmallIntegerField(
        choices=FunnelStage.choices, default=FunnelStage.AUDIENCE
    )
    reached_at = models.DateTimeField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    advocated_at = models.DateTimeField(null=True, blank=True)
    first_touch = models.ForeignKey(
        "campaigns.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_touch = models.ForeignKey(
        "campaigns.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(
        "delivery.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant = models.ForeignKey(
        "campaigns.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=35, blank=True)
    persona = models.ForeignKey(
        "audiences.Persona", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="funnel_once_per_person")
        ]
        indexes = [models.Index(fields=["campaign", "stage"], name="funnel_campaign_stage")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.campaign_id}: stage {self.stage}"


class AttributionModel(models.TextChoices):
    FIRST = "first", _("First touch")
    LAST = "last", _("Last touch")
    LINEAR = "linear", _("Linear")


class Attribution(models.Model):
    """Credit for one enrolment or completion to one touch, under one model.

    Written at ingest for every campaign touch that reached the person within the
    attribution window before the event; weights of one event and model add up to 1. The
    event's facts are copied, so the credit outlives the raw event's retention.
    """

    event = models.ForeignKey(
        EngagementEvent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attributions",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="attributions"
    )
    touch = models.ForeignKey(
        "campaigns.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    offering = models.ForeignKey(
        "learning.Offering", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    occurred_at = models.DateTimeField()
    model = models.CharField(max_length=10, choices=AttributionModel.choices)
    weight = models.FloatField()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["campaign", "model", "kind"], name="attribution_campaign")]

    def __str__(self) -> str:
        return f"{self.kind} {self.weight:.2f} to {self.campaign_id} ({self.model})"


class EventRollup(models.Model):
    """Daily counts of raw events removed by the retention period (robots left out)."""

    day = models.DateField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    touch = models.ForeignKey(
        "campaigns.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offering = models.ForeignKey(
        "learning.Offering", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["campaign", "day"], name="rollup_campaign_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.count}"
