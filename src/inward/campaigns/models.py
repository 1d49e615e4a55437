"""Campaigns, their journeys of touches, message variants, approvals and the calendar.

State changes happen only in ``campaigns/services.py``; nothing here saves on its own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OwnerTeam(models.TextChoices):
    LEARNING = "learning", _("Learning & Development")
    COMMS = "comms", _("Internal communications")
    MARKETING = "marketing", _("Marketing")
    OTHER = "other", _("Other")


class Purpose(models.TextChoices):
    EDUCATE = "educate", _("Educate")
    INFORM = "inform", _("Inform")
    PERSUADE = "persuade", _("Persuade")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ExternalCampaign(models.Model):
    """A campaign the company runs for customers; employees should hear about it first."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    launch_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["launch_at", "name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A campaign: who, why, when, and a journey of touches.

    The strategy brief lives in the ``brief_*`` fields and in ``CampaignPersona`` rows; it
    must be complete before the campaign can go to review (``campaign_brief_missing``).
    ``time_zone`` is the zone that absolute and relative send times are written in.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    owner_team = models.CharField(max_length=20, choices=OwnerTeam.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    audience = models.ForeignKey(
        "audiences.Audience",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    exclusions = models.ManyToManyField(
        "audiences.Audience", blank=True, related_name="excluded_from_campaigns"
    )
    offering = models.ForeignKey(
        "learning.Offering",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        verbose_name=_("learning offering"),
        help_text=_("The course, programme or event from the catalogue this campaign promotes."),
    )
    # A free-text note from before the catalogue existed; kept as a note next to ``offering``.
    learning_offering = models.CharField(
        _("learning offering note"),
        max_length=300,
        blank=True,
        help_text=_(
            "A free-text note about what this promotes, e.g. a course not in the catalogue."
        ),
    )
    external_campaign = models.ForeignKey(
        ExternalCampaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="internal_campaigns",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/Amsterdam")
    # The strategy brief.
    brief_channels = models.TextField(
        blank=True, help_text=_("Which channels this audience actually uses.")
    )
    brief_engagement = models.TextField(blank=True, help_text=_("Who engages today, and how."))
    goal_metric = models.CharField(max_length=200, blank=True)
    goal_target = models.CharField(max_length=200, blank=True)
    brief_duration = models.TextField(
        blank=True, help_text=_("How long the campaign runs, and why.")
    )
    personas = models.ManyToManyField(
        "audiences.Persona", through="CampaignPersona", blank=True, related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name


class CampaignPersona(models.Model):
    """The what's-in-it-for-me of one persona, for one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    persona = models.ForeignKey("audiences.Persona", on_delete=models.CASCADE)
    wiifm = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["persona__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "persona"], name="campaign_persona_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.persona}"


class Stage(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    INTEREST = "interest", _("Interest")
    DESIRE = "desire", _("Desire")
    ACTION = "action", _("Action")
    ADVOCACY = "advocacy", _("Advocacy")


class Timing(models.TextChoices):
    ABSOLUTE = "absolute", _("At a date and time")
    CAMPAIGN_START = "campaign_start", _("Relative to the campaign start")
    EXTERNAL_LAUNCH = "external_launch", _("Relative to the external launch")
    AFTER_PREVIOUS = "after_previous", _("Days after the previous touch")


class Condition(models.TextChoices):
    ALL = "all", _("Everyone in the audience")
    NOT_OPENED = "not_opened", _("Only those who did not open")
    NOT_CLICKED = "not_clicked", _("Only those who did not click")
    OPENED = "opened", _("Only those who opened")
    CLICKED = "clicked", _("Only those who clicked")


class Recipients(models.TextChoices):
    AUDIENCE = "audience", _("The audience")
    MANAGERS = "managers", _("Managers of the audience")


class KitRole(models.TextChoices):
    EARLY_WARNING = "early_warning", _("Early warning")
    MANAGER_BRIEFING = "manager_briefing", _("Manager briefing")
    LAUNCH_DAY = "launch_day", _("Launch day")
    FEEDBACK = "feedback", _("Feedback request")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Touch(models.Model):
    """One step of a journey: a message on one channel at one time.

    When it is sent: ``timing`` says how ``send_at`` (absolute) or ``offset_days`` plus
    ``send_time`` (relative) are read; ``scheduled_at`` is the resolved instant, written by
    ``touch_reschedule`` whenever an input changes. With ``local_time`` each recipient gets
    it at ``send_time`` in their own time zone, so deliveries' ``due_at`` differ.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="touches")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    channel = models.ForeignKey(
        "delivery.Channel", on_delete=models.PROTECT, related_name="touches"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.AWARENESS)
    timing = models.CharField(max_length=20, choices=Timing.choices, default=Timing.ABSOLUTE)
    send_at = models.DateTimeField(null=True, blank=True)
    offset_days = models.IntegerField(default=0)
    send_time = models.TimeField(null=True, blank=True)
    local_time = models.BooleanField(
        default=False, help_text=_("Send at this time in each recipient's own time zone.")
    )
    condition = models.CharField(max_length=20, choices=Condition.choices, default=Condition.ALL)
    condition_touch = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    condition_rule = models.TextField(
        _("only if"),
        blank=True,
        help_text=_(
            "An audience rule each recipient must match when this touch is sent, "
            'e.g. not enrolled("leadership-101").'
        ),
    )
    recipients = models.CharField(
        max_length=20, choices=Recipients.choices, default=Recipients.AUDIENCE
    )
    mandatory = models.BooleanField(
        default=False, help_text=_("Sent even to people who opted out of this channel.")
    )
    critical = models.BooleanField(
        default=False, help_text=_("Readers must acknowledge it in their feed.")
    )
    kit_role = models.CharField(max_length=20, choices=KitRole.choices, blank=True)
    # Calendar invites: the event the invite is for.
    event_starts_at = models.DateTimeField(null=True, blank=True)
    event_ends_at = models.DateTimeField(null=True, blank=True)
    event_location = models.CharField(max_length=300, blank=True)
    ics_sequence = models.PositiveIntegerField(default=0)
    approval_status = models.CharField(
        max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    materialised_at = models.DateTimeField(
        null=True, blank=True, help_text="When its deliveries were written to the outbox."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_id", "position", "id"]
        indexes = [models.Index(fields=["scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.name}"


class Variant(models.Model):
    """The words of a touch for one language and/or persona.

    Markdown body and subject with Jinja2 placeholders (``{{ person.first_name }}``).
    ``language=""`` and no persona is the fallback every touch must have; the best match
    for a person is chosen by ``campaigns.variants.variant_for``. Several variants for the
    same language and persona are an A/B test: ``arm`` tells them apart ("A", "B", ...),
    and each reader gets one of them, the same one every time, at random.
    """

    touch = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=35, blank=True)
    persona = models.ForeignKey(
        "audiences.Persona", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    arm = models.CharField(
        _("test version"),
        max_length=1,
        blank=True,
        choices=[(a, a) for a in "ABCD"],
        help_text=_("A, B, ...: versions of the same message, for an A/B test."),
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["touch_id", "language", "persona_id", "arm", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["touch", "language", "persona", "arm"],
                name="variant_once_per_language_persona_arm",
            ),
            models.UniqueConstraint(
                fields=["touch", "language", "arm"],
                condition=models.Q(persona__isnull=True),
                name="variant_once_per_language_arm_without_persona",
            ),
        ]

    def __str__(self) -> str:
        arm = f" {self.arm}" if self.arm else ""
        return f"{self.touch} [{self.language or '*'}{arm}]"


class ApprovalComment(models.Model):
    """A channel owner's decision or comment on a touch."""

    touch = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=ApprovalStatus.choices, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.touch}: {self.decision or 'comment'}"


class Blackout(models.Model):
    """A day nothing non-mandatory goes out (a holiday, a results day)."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"
