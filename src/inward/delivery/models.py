"""Channels, the outbox, employees' feed and their preferences.

The outbox (``Delivery``) is the single source of truth for what was sent: a row exists
before a provider is called, and each outcome is written with a targeted ``update()``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")
    INTRANET = "intranet", _("Intranet feed")
    CALENDAR = "calendar", _("Calendar invite")


class Channel(models.Model):
    """A configured way to reach people. ``config`` holds settings that may be shown back;
    ``secrets`` holds passwords and tokens, which the UI never displays again."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    config = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_channels"
    )
    rate_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Most messages per minute; empty for no limit.")
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def posts_to_channel(self) -> bool:
        """Teams, and Slack set to post in a channel, send one message per touch, not one
        per person: their deliveries have no person."""
        if self.kind == ChannelKind.TEAMS:
            return True
        return self.kind == ChannelKind.SLACK and bool(self.config.get("post_to_channel"))


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")


class SuppressReason(models.TextChoices):
    FREQUENCY_CAP = "frequency_cap", _("Weekly contact limit reached")
    OPTED_OUT = "opted_out", _("Opted out of this channel")
    NO_ADDRESS = "no_address", _("No address on this channel")
    LEFT = "left", _("No longer active in the directory")
    BLACKOUT = "blackout", _("Blackout date")


class Delivery(models.Model):
    """One message to one person (or one channel post) for one touch.

    Claimed by a sender with ``lease_owner``/``lease_expires_at``; a lease that expires
    is taken over. ``message_id`` is fixed when the row is written, so a retry after a crash
    carries the same Message-ID (or idempotency key) as the attempt that may have gone out.
    ``generation`` counts calendar updates and cancellations of the same touch.
    """

    touch = models.ForeignKey(
        "campaigns.Touch", on_delete=models.CASCADE, related_name="deliveries"
    )
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    generation = models.PositiveIntegerField(default=0)
    variant = models.ForeignKey(
        "campaigns.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(help_text="Not before this; pushed back by retries.")
    attempts = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200)
    error = models.TextField(blank=True)
    suppressed_reason = models.CharField(max_length=20, choices=SuppressReason.choices, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["touch", "person", "channel", "generation"],
                condition=models.Q(person__isnull=False),
                name="delivery_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["touch", "channel", "generation"],
                condition=models.Q(person__isnull=True),
                name="delivery_once_per_channel_post",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_claim"),
            models.Index(fields=["person", "due_at"], name="delivery_person_due"),
            models.Index(fields=["touch", "status"], name="delivery_touch_status"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class FeedItem(models.Model):
    """A message in one employee's intranet inbox."""

    person = models.ForeignKey(
        "directory.Person", on_delete=models.CASCADE, related_name="feed_items"
    )
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_item"
    )
    subject = models.CharField(max_length=300)
    body_html = models.TextField(help_text="Sanitised when written.")
    critical = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return self.subject


class Preference(models.Model):
    """An employee's choices. ``channels_off`` lists channel kinds they opted out of;
    mandatory touches still reach them there."""

    person = models.OneToOneField(
        "directory.Person", on_delete=models.CASCADE, related_name="preference"
    )
    channels_off = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=35, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id"]

    def __str__(self) -> str:
        return f"preferences of {self.person_id}"


class DeliverySettings(models.Model):
    """Organisation-wide sending rules; one row (``pk=1``), edited by admins."""

    weekly_cap = models.PositiveIntegerField(
        default=3, help_text=_("Most touches one person receives in any 7 days.")
    )
    quiet_start = models.TimeField(default=dt.time(20, 0))
    quiet_end = models.TimeField(default=dt.time(7, 0))
    default_time_zone = models.CharField(max_length=64, default="Europe/Amsterdam")
    extra = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "delivery settings"

    def __str__(self) -> str:
        return "delivery settings"
