"""Highlights (results and success stories), the stakeholders who should hear about them,
and the digests that carry them.

A stakeholder "last heard from the team" on the later of: the day a digest reached them
(``DigestRecipient`` with status ``sent``) and the latest contact logged by hand
(``StakeholderContact``). ``selectors.stakeholder_statuses`` computes it; nothing here is
denormalised, so a send or a logged contact shows at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class HighlightKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    NUMBER = "number", _("Number")
    PICTURE = "picture", _("Picture")


class Highlight(models.Model):
    """One result or story worth telling. Which fields matter depends on ``kind``: a quote
    has ``quote_text`` and ``quote_by``, a number ``number_value`` and ``number_label``, a
    picture ``image`` (re-encoded bytes, see ``images.py``) and ``image_alt``."""

    kind = models.CharField(max_length=10, choices=HighlightKind.choices)
    title = models.CharField(max_length=200)
    story = models.TextField(blank=True)
    quote_text = models.TextField(blank=True)
    quote_by = models.CharField(max_length=200, blank=True)
    number_value = models.CharField(max_length=40, blank=True)
    number_label = models.CharField(max_length=200, blank=True)
    # Pictures live in the database, not under MEDIA_ROOT: served only through an
    # authorised view, backed up with everything else, never left behind as a stray file.
    image = models.BinaryField(null=True, blank=True, editable=False)
    image_type = models.CharField(max_length=20, blank=True)
    image_width = models.PositiveIntegerField(default=0)
    image_height = models.PositiveIntegerField(default=0)
    image_alt = models.CharField(max_length=300, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="highlights",
    )
    pinned = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="highlights",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def has_picture(self) -> bool:
        return self.kind == HighlightKind.PICTURE and bool(self.image_type)


class PreferredChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SLACK = "slack", _("Slack")


class Stakeholder(models.Model):
    """A leader who decides budgets and should hear from the team every ``cadence_days``.

    ``slack`` is a Slack user id (U…) or channel id (C…); empty means "find them by e-mail".
    """

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    slack = models.CharField(max_length=40, blank=True)
    preferred_channel = models.CharField(
        max_length=10, choices=PreferredChannel.choices, default=PreferredChannel.EMAIL
    )
    cadence_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class StakeholderContact(models.Model):
    """A contact logged by hand: a meeting, a call, a report handed over."""

    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="contacts")
    contacted_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-contacted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.stakeholder} on {self.contacted_on}"


class DigestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Digest(models.Model):
    """A highlight digest: a title, an intro, chosen highlights for chosen stakeholders.

    Editable while ``draft``; ``digest_send_start`` freezes it (one ``DigestRecipient`` per
    stakeholder) and the background task delivers it.
    """

    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    highlights = models.ManyToManyField(Highlight, blank=True, related_name="digests")
    stakeholders = models.ManyToManyField(Stakeholder, blank=True, related_name="digests")
    email_channel = models.ForeignKey(
        "delivery.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    slack_channel = models.ForeignKey(
        "delivery.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=DigestStatus.choices, default=DigestStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DigestRecipient(models.Model):
    """One stakeholder's copy of a digest: the route taken and how it went."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="recipients")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="digest_receipts"
    )
    channel_kind = models.CharField(max_length=10, choices=PreferredChannel.choices)
    status = models.CharField(
        max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stakeholder__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "stakeholder"], name="highlights_one_copy_per_stakeholder"
            )
        ]
        indexes = [models.Index(fields=["stakeholder", "status", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.digest} → {self.stakeholder} ({self.status})"
