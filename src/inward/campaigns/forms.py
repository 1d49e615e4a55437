"""Forms for the campaign pages: the campaign, its brief, touches, variants, approvals,
blackouts and external campaigns.

Forms only validate input; the services decide what may change. Dates and times are typed
as wall-clock times in the campaign's time zone (or the site's, for external campaigns and
blackouts), so a form places them in that zone itself instead of Django's current one.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inward.audiences.models import Audience, Persona
from inward.audiences.rules import RuleError
from inward.audiences.rules.conditions import condition_rule_clean
from inward.campaigns.models import (
    Campaign,
    CampaignStatus,
    Condition,
    ExternalCampaign,
    OwnerTeam,
    Purpose,
    Recipients,
    Stage,
    Timing,
    Touch,
)
from inward.campaigns.rendering.limits import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from inward.delivery.models import Channel
from inward.directory.models import Person
from inward.learning.models import Offering
from inward.web.forms import StyledForm

# Path words under /campaigns/ that a campaign slug would shadow.
RESERVED_SLUGS = frozenset({"new", "calendar", "blackouts", "approvals", "external", "people"})
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _line(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _text(rows: int = 3, **attrs: str) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": str(rows), **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


def _check() -> forms.CheckboxInput:
    return forms.CheckboxInput(attrs={"class": "form-check-input"})


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class WallClockField(forms.DateTimeField):
    """A date and time as typed, without a zone; the form places it in the right zone."""

    widget = forms.DateTimeInput(
        attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
    )

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        try:
            return dt.datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def wall_clock(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """An aware instant as the naive wall-clock time in ``zone``, for a form's initial."""
    if value is None:
        return None
    return timezone.localtime(value, zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def _place(cleaned: dict[str, Any], names: tuple[str, ...], zone: str) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    for name in names:
        if isinstance(value := cleaned.get(name), dt.datetime):
            cleaned[name] = value.replace(tzinfo=tz)


def language_options() -> list[tuple[str, str]]:
    """Language codes to suggest for a variant: the site's, then those in the directory."""
    options = [(code, str(name)) for code, name in settings.LANGUAGES]
    known = {code for code, _name in options}
    found = (
        Person.objects.exclude(language="").order_by("language").values_list("language", flat=True)
    ).distinct()
    extra = sorted(set(found[:200]) - known)
    return options + [(code, code) for code in extra]


# --- Campaigns ---------------------------------------------------------------------------


class CampaignForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=_line())
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        help_text=_("Short name used in links and in campaign files, e.g. onboarding-2026."),
        widget=_line(**{"data-slug-from": "id_name", "spellcheck": "false"}),
    )
    owner_team = forms.ChoiceField(
        label=_("Owner team"), choices=OwnerTeam.choices, widget=_select()
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, widget=_select())
    audience = forms.ModelChoiceField(
        label=_("Audience"),
        queryset=Audience.objects.all(),
        required=False,
        empty_label=_("Choose later"),
        widget=_select(),
    )
    exclusions = forms.ModelMultipleChoiceField(
        label=_("Leave out the members of"),
        queryset=Audience.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": "4"}),
        help_text=_("People in any of these audiences get none of this campaign's touches."),
    )
    offering = forms.ModelChoiceField(
        label=_("Learning offering"),
        queryset=Offering.objects.order_by("title", "id"),
        required=False,
        empty_label=_("None"),
        widget=_select(),
        help_text=_(
            "The course, programme or event from the catalogue this campaign promotes. "
            "Enrolments and completions of it count for this campaign."
        ),
    )
    learning_offering = forms.CharField(
        label=_("Note on what it promotes"),
        max_length=300,
        required=False,
        widget=_line(),
        help_text=_("Optional free text, e.g. for something not in the catalogue."),
    )
    external_campaign = forms.ModelChoiceField(
        label=_("External campaign"),
        queryset=ExternalCampaign.objects.all(),
        required=False,
        empty_label=_("None"),
        widget=_select(),
        help_text=_("The customer campaign employees should hear about first."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=_select(),
        help_text=_("Send times in this campaign are read in this zone."),
    )
    starts_at = WallClockField(label=_("Starts"), required=False)
    ends_at = WallClockField(label=_("Ends"), required=False)

    DATETIMES = ("starts_at", "ends_at")

    def __init__(self, *args: Any, campaign: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["time_zone"].initial = settings.TIME_ZONE
        if campaign is not None:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("The slug cannot change: links and files use it.")

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        names = ("name", "slug", "owner_team", "purpose", "learning_offering", "time_zone")
        initial: dict[str, Any] = {name: getattr(campaign, name) for name in names}
        initial["audience"] = campaign.audience_id
        initial["offering"] = campaign.offering_id
        initial["external_campaign"] = campaign.external_campaign_id
        initial["exclusions"] = list(campaign.exclusions.values_list("pk", flat=True))
        for name in cls.DATETIMES:
            initial[name] = wall_clock(getattr(campaign, name), campaign.time_zone)
        return initial

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if self.campaign is not None:
            return self.campaign.slug
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This slug is reserved; choose another."))
        if Campaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another campaign already uses this slug."))
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _place(cleaned, self.DATETIMES, cleaned.get("time_zone") or settings.TIME_ZONE)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        audience = cleaned.get("audience")
        if audience is not None and audience in (cleaned.get("exclusions") or []):
            self.add_error("exclusions", _("The audience cannot also be left out."))
        if cleaned.get("offering") is None and (
            self.campaign is None or self.campaign.offering_id is None
        ):
            cleaned.pop("offering", None)  # no offering before or after: nothing to pass on
        return cleaned


BRIEF_FIELDS = (
    "brief_channels",
    "brief_engagement",
    "goal_metric",
    "goal_target",
    "brief_duration",
)


class BriefForm(StyledForm):
    """The strategy brief, plus one what's-in-it-for-me box per persona (``wiifm_<id>``)."""

    brief_channels = forms.CharField(
        label=_("Channels this audience actually uses"),
        required=False,
        widget=_text(),
        help_text=_(
            "Where do these people read, and where do they not? E.g. “Slack daily, e-mail rarely”."
        ),
    )
    brief_engagement = forms.CharField(
        label=_("Who engages today, and how"),
        required=False,
        widget=_text(),
    )
    goal_metric = forms.CharField(
        label=_("Goal metric"),
        max_length=200,
        required=False,
        widget=_line(),
        help_text=_("What you will count, e.g. “enrolments in the course”."),
    )
    goal_target = forms.CharField(
        label=_("Target"),
        max_length=200,
        required=False,
        widget=_line(),
        help_text=_("The number you aim for, e.g. “120 by the end of June”."),
    )
    brief_duration = forms.CharField(
        label=_("How long the campaign runs, and why"),
        required=False,
        widget=_text(),
    )

    def __init__(
        self, *args: Any, personas: list[Persona], wiifm: dict[int, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.personas = personas
        for persona in personas:
            name = f"wiifm_{persona.pk}"
            self.fields[name] = forms.CharField(
                label=persona.name,
                required=False,
                widget=_text(2),
                help_text=_("Leave empty if this campaign does not speak to this persona."),
            )
            self.initial.setdefault(name, wiifm.get(persona.pk, ""))

    def brief(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in BRIEF_FIELDS}

    def wiifm(self) -> dict[int, str]:
        """Persona id → what's in it for them; personas left empty are not included."""
        found = {p.pk: self.cleaned_data[f"wiifm_{p.pk}"].strip() for p in self.personas}
        return {pk: text for pk, text in found.items() if text}

    def persona_fields(self) -> list[forms.BoundField]:
        return [self[f"wiifm_{persona.pk}"] for persona in self.personas]

    def brief_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BRIEF_FIELDS]


# --- Touches and variants ------------------------------------------------------------------


TOUCH_DATETIMES = ("send_at", "event_starts_at", "event_ends_at")


class TouchForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=_line())
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), widget=_select()
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, widget=_select())
    timing = forms.ChoiceField(
        label=_("When"),
        choices=Timing.choices,
        widget=forms.Select(attrs={"class": "form-select", "data-timing-select": ""}),
    )
    send_at = WallClockField(label=_("Date and time"), required=False)
    offset_days = forms.IntegerField(
        label=_("Days"),
        initial=0,
        min_value=-365,
        max_value=365,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text=_("Negative numbers mean before, e.g. -7 is a week before."),
    )
    send_time = forms.TimeField(
        label=_("At"),
        required=False,
        widget=forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
    )
    local_time = forms.BooleanField(
        label=_("In each recipient's own time zone"), required=False, widget=_check()
    )
    recipients = forms.ChoiceField(
        label=_("Recipients"), choices=Recipients.choices, widget=_select()
    )
    condition = forms.ChoiceField(label=_("Who"), choices=Condition.choices, widget=_select())
    condition_touch = forms.ModelChoiceField(
        label=_("Of the earlier touch"),
        queryset=Touch.objects.none(),
        required=False,
        empty_label=_("Choose a touch"),
        widget=_select(),
    )
    condition_rule = forms.CharField(
        label=_("Only if"),
        required=False,
        max_length=20_000,
        widget=_text(2, **{"class": "form-control rule-editor", "spellcheck": "false"}),
        help_text=_(
            "An audience rule each recipient must match when the touch is sent, e.g. "
            'not enrolled("leadership-101") or not opened("onboarding", 14d). '
            "Empty: no extra condition."
        ),
    )
    mandatory = forms.BooleanField(
        label=_("Mandatory"),
        required=False,
        widget=_check(),
        help_text=_("Sent even to people who opted out of this channel."),
    )
    critical = forms.BooleanField(
        label=_("Critical"),
        required=False,
        widget=_check(),
        help_text=_("Readers must acknowledge it in their feed."),
    )
    event_starts_at = WallClockField(label=_("Event starts"), required=False)
    event_ends_at = WallClockField(label=_("Event ends"), required=False)
    event_location = forms.CharField(
        label=_("Event location"), max_length=300, required=False, widget=_line()
    )

    FIELDS = (
        "name", "channel", "stage", "timing", "send_at", "offset_days", "send_time",
        "local_time", "recipients", "condition", "condition_touch", "condition_rule",
        "mandatory", "critical",
        "event_starts_at", "event_ends_at", "event_location",
    )  # fmt: skip

    def __init__(
        self, *args: Any, campaign: Campaign, touch: Touch | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaign, self.touch = campaign, touch
        channels = Channel.objects.filter(enabled=True)
        if touch is not None:
            channels = Channel.objects.filter(enabled=True) | Channel.objects.filter(
                pk=touch.channel_id
            )
        self._set_queryset("channel", channels.order_by("name"))
        self._set_queryset("condition_touch", self._earlier_touches())

    def _set_queryset(self, name: str, queryset: QuerySet[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def _earlier_touches(self) -> QuerySet[Touch]:
        touches = self.campaign.touches.all()
        if self.touch is not None:
            touches = touches.filter(position__lt=self.touch.position).exclude(pk=self.touch.pk)
        return touches.order_by("position", "id")

    @classmethod
    def initial_for(cls, touch: Touch) -> dict[str, Any]:
        initial = {name: getattr(touch, name) for name in cls.FIELDS}
        initial["channel"] = touch.channel_id
        initial["condition_touch"] = touch.condition_touch_id
        for name in TOUCH_DATETIMES:
            initial[name] = wall_clock(getattr(touch, name), touch.campaign.time_zone)
        return initial

    def clean_condition_rule(self) -> str:
        """The rule in its tidy form; a mistake is shown with its line and column."""
        try:
            return condition_rule_clean(self.cleaned_data["condition_rule"])
        except RuleError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _place(cleaned, TOUCH_DATETIMES, self.campaign.time_zone)
        channel = cleaned.get("channel")
        if cleaned.get("condition_rule") and channel is not None and channel.posts_to_channel:
            self.add_error(
                "condition_rule",
                _("This channel posts one message for everyone, so it cannot check a rule."),
            )
        timing = cleaned.get("timing")
        if timing == Timing.ABSOLUTE and not cleaned.get("send_at"):
            self.add_error("send_at", _("Give the date and time to send this touch."))
        if timing == Timing.EXTERNAL_LAUNCH and self.campaign.external_campaign_id is None:
            self.add_error("timing", _("Link the campaign to an external campaign first."))
        if cleaned.get("condition", Condition.ALL) != Condition.ALL:
            if cleaned.get("condition_touch") is None:
                self.add_error("condition_touch", _("Choose the earlier touch this depends on."))
        else:
            cleaned["condition_touch"] = None
        starts, ends = cleaned.get("event_starts_at"), cleaned.get("event_ends_at")
        if starts and ends and ends <= starts:
            self.add_error("event_ends_at", _("The event must end after it starts."))
        if not cleaned.get("condition_rule") and (
            self.touch is None or not self.touch.condition_rule
        ):
            cleaned.pop("condition_rule", None)  # no rule before or after: nothing to pass on
        return cleaned


class MessageBodyField(forms.CharField):
    """A textarea's text with line breaks as ``\n``: browsers send ``\r\n`` but count it
    as one character against ``maxlength``, so the server counts the same way."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n")


class VariantForm(StyledForm):
    language = forms.CharField(
        label=_("Language"),
        max_length=35,
        required=False,
        widget=_line(list="language-options", spellcheck="false", autocomplete="off"),
        help_text=_(
            "A language code such as nl or nl-BE; empty for the fallback everyone else gets."
        ),
    )
    persona = forms.ModelChoiceField(
        label=_("Persona"),
        queryset=Persona.objects.all(),
        required=False,
        empty_label=_("Everyone"),
        widget=_select(),
    )
    arm = forms.ChoiceField(
        label=_("Test version"),
        choices=[("", _("None")), *[(arm, arm) for arm in "ABCD"]],
        required=False,
        widget=_select(),
        help_text=_(
            "For an A/B test: write several versions of the same message for the same "
            "language and persona (A, B, ...). Each reader gets one of them at random, and "
            "always the same one; the campaign's results page compares them."
        ),
    )
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT_LENGTH, widget=_line())
    body = MessageBodyField(
        label=_("Message"),
        max_length=MAX_BODY_LENGTH,
        widget=_text(14, **{"class": "form-control rule-editor", "spellcheck": "true"}),
        help_text=_(
            "Markdown. Personalise with {{ person.first_name }}, {{ manager.name }}, "
            "{{ persona.wiifm }} or {{ campaign.name }}."
        ),
    )

    def clean_language(self) -> str:
        language: str = self.cleaned_data["language"].strip()
        if language and not LANGUAGE_TAG.match(language):
            raise forms.ValidationError(_("Use a language code such as nl or nl-BE."))
        return language


# --- Approvals, blackouts, external campaigns ------------------------------------------------


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("changes", _("Request changes"))]
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=_text(2))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "changes" and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Say what should change, so the planner knows."))
        return cleaned


class BlackoutForm(StyledForm):
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=_line(),
        help_text=_("E.g. “King's Day” or “Annual results”."),
    )


class ExternalCampaignForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=_line())
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        widget=_line(**{"data-slug-from": "id_name", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=_text(3))
    launch_at = WallClockField(
        label=_("Launch"),
        help_text=_("Moving it moves every touch timed relative to the launch."),
    )

    def __init__(self, *args: Any, external: ExternalCampaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.external = external
        if external is not None:
            self.fields["slug"].disabled = True

    @classmethod
    def initial_for(cls, external: ExternalCampaign) -> dict[str, Any]:
        return {
            "name": external.name,
            "slug": external.slug,
            "description": external.description,
            "launch_at": wall_clock(external.launch_at, settings.TIME_ZONE),
        }

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if self.external is not None:
            return self.external.slug
        if slug in RESERVED_SLUGS or ExternalCampaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another external campaign already uses this slug."))
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _place(cleaned, ("launch_at",), settings.TIME_ZONE)
        return cleaned


class LaunchKitForm(StyledForm):
    campaign = forms.ModelChoiceField(
        label=_("Add the launch kit to"),
        queryset=Campaign.objects.filter(status=CampaignStatus.DRAFT).order_by("name"),
        empty_label=None,
        widget=_select(),
    )
