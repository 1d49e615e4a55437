"""Forms for the delivery pages: channels, sending rules, an employee's preferences.

Forms only parse and check input; the writes happen in ``channel_services`` and
``services``. A channel's own settings come from the channel registry, so a new kind
needs no change here.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from inward.accounts.models import Role, User
from inward.delivery.channels.registry import (
    CHANNEL_FIELDS,
    FieldSpec,
    SecretsMerge,
    channel_config_errors,
    channel_secrets_merge,
    cleared_note,
)
from inward.delivery.models import Channel, ChannelKind, DeliverySettings, Preference
from inward.directory.models import Person
from inward.web.forms import StyledForm

# Channel kinds an employee may switch off. The intranet feed is their inbox in Inward
# itself: it stays on, so nothing is ever lost for someone who opts out of everything else.
OPTIONAL_KINDS = [
    ChannelKind.EMAIL,
    ChannelKind.SLACK,
    ChannelKind.TEAMS,
    ChannelKind.CALENDAR,
]


def _line(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


# --- Channels -------------------------------------------------------------------------------


class OwnerChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        name = user.get_full_name() or user.username
        return f"{name} ({user.email})" if user.email else name


class ChannelForm(StyledForm):
    """The settings every channel has, plus the fields of its kind from the registry.

    Secret fields are never filled in: left blank on an existing channel they keep the
    stored value (``clean()`` drops them from ``secrets``), unless a setting that says
    where they are sent changed (``FieldSpec.endpoint``): then they are cleared, as the
    service does, and ``cleared_notes()`` says so.
    """

    name = forms.CharField(label=_("Name"), max_length=200, widget=_line())
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        help_text=_("Short name used in campaign files, e.g. all-staff-email."),
        widget=_line(**{"data-slug-from": "id_name", "spellcheck": "false"}),
    )
    owners = OwnerChoiceField(
        label=_("Owners"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "Owners approve every touch sent on this channel. People with the channel owner "
            "or admin role can be chosen."
        ),
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": "6"}),
    )
    rate_per_minute = forms.IntegerField(
        label=_("Rate limit (messages per minute)"),
        min_value=1,
        required=False,
        help_text=_("Leave empty for no limit."),
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    enabled = forms.BooleanField(
        label=_("Enabled"),
        required=False,
        initial=True,
        help_text=_("A disabled channel sends nothing; its messages wait until it is enabled."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, kind: str, channel: Channel | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.kind, self.channel = kind, channel
        self.specs: list[FieldSpec] = list(CHANNEL_FIELDS.get(kind, ()))
        owners = self.fields["owners"]
        assert isinstance(owners, OwnerChoiceField)
        # Only these roles can approve (accounts.access.can_approve_on_channel); anyone else
        # as an owner would leave touches waiting for an approval that cannot come.
        approvers = Q(role__in=[Role.CHANNEL_OWNER, Role.ADMIN]) | Q(is_superuser=True)
        owners.queryset = User.objects.filter(approvers, is_active=True).order_by("username")
        moves = any(spec.endpoint for spec in self.specs)
        for spec in self.specs:
            self.fields[_key(spec)] = _config_field(spec, existing=channel, moves=moves)
        if channel is not None:
            self._load(channel)

    def _load(self, channel: Channel) -> None:
        # The slug is how campaign files name the channel: it never changes.
        self.fields["slug"].disabled = True
        self.fields["slug"].help_text = _("The slug cannot change: campaign files use it.")
        self.initial.update(
            name=channel.name,
            slug=channel.slug,
            owners=list(channel.owners.all()),
            rate_per_minute=channel.rate_per_minute,
            enabled=channel.enabled,
        )
        for spec in self.specs:
            if not spec.secret and spec.name in channel.config:
                self.initial[_key(spec)] = channel.config[spec.name]

    def config_fields(self) -> list[BoundField]:
        return [self[_key(spec)] for spec in self.specs if not spec.secret]

    def secret_fields(self) -> list[BoundField]:
        return [self[_key(spec)] for spec in self.specs if spec.secret]

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if self.channel is None and Channel.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another channel already uses this slug."))
        return slug

    def config(self) -> dict[str, Any]:
        """The kind's non-secret settings, as the channel stores them. Settings the form
        does not show (written by a campaign file or the API) are kept as they are."""
        shown = {spec.name for spec in self.specs}
        stored = self.channel.config if self.channel is not None else {}
        kept = {name: value for name, value in stored.items() if name not in shown}
        typed = {
            spec.name: _stored(self.cleaned_data.get(_key(spec)))
            for spec in self.specs
            if not spec.secret
        }
        return kept | {name: value for name, value in typed.items() if value is not None}

    def secrets(self) -> dict[str, str]:
        """Only the secrets typed in now; a blank one keeps what is stored."""
        return {
            spec.name: str(self.cleaned_data.get(_key(spec)) or "")
            for spec in self.specs
            if spec.secret and self.cleaned_data.get(_key(spec))
        }

    def secrets_merge(self) -> SecretsMerge:
        """The secrets the channel will keep, as ``channel_update`` will merge them."""
        if self.channel is None:
            return SecretsMerge(secrets=self.secrets(), cleared=[])
        endpoint_errors = any(_key(spec) in self.errors for spec in self.specs if spec.endpoint)
        return channel_secrets_merge(
            self.kind,
            stored_config=self.channel.config,
            # A setting with an error of its own is missing from config(): not a move.
            config=self.channel.config if endpoint_errors else self.config(),
            stored_secrets=self.channel.secrets,
            given=self.secrets(),
        )

    def cleared_notes(self) -> list[str]:
        """For a valid form, before saving: one sentence per stored secret the save drops
        because the channel now points elsewhere."""
        return [cleared_note(self.kind, name) for name in self.secrets_merge().cleared]

    def clean(self) -> dict[str, Any]:
        """Check the kind's settings as a whole (the service checks again) so that every
        problem shows at once, not one round at a time."""
        cleaned = super().clean() or {}
        merge = self.secrets_merge()
        problems = channel_config_errors(self.kind, self.config(), merge.secrets)
        for name in merge.cleared:
            if name in problems:  # a required secret, gone because the address changed
                problems[name] = cleared_note(self.kind, name)
        self.add_service_errors({name: [message] for name, message in problems.items()})
        return cleaned

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Place a service's ValidationError messages next to the fields they are about,
        leaving alone fields that already show an error of their own."""
        by_name = {spec.name: _key(spec) for spec in self.specs}
        for name, messages in errors.items():
            field = by_name.get(name, name if name in self.fields else None)
            if field is not None and field in self.errors:
                continue
            for message in messages:
                self.add_error(field, message)


def _key(spec: FieldSpec) -> str:
    # Prefixed so a kind's "name" or "slug" setting never collides with the common fields.
    return f"config_{spec.name}"


def _stored(value: Any) -> Any:
    """Blank text is "not set": the transport falls back to its default."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _config_field(spec: FieldSpec, *, existing: Channel | None, moves: bool) -> forms.Field:
    common: dict[str, Any] = {"label": spec.label, "help_text": spec.help}
    if spec.secret:
        return _secret_field(spec, existing=existing, moves=moves)
    if spec.input == "checkbox":
        widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
        return forms.BooleanField(**common, required=False, widget=widget)
    if spec.input == "select":
        choices = list(spec.choices) if spec.required else [("", _("Default")), *spec.choices]
        select = forms.Select(attrs={"class": "form-select"})
        return forms.ChoiceField(**common, required=spec.required, choices=choices, widget=select)
    if spec.input == "number":
        number = forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"})
        return forms.IntegerField(**common, required=spec.required, min_value=1, widget=number)
    text_fields: dict[str, type[forms.CharField]] = {
        "url": forms.URLField,
        "email": forms.EmailField,
    }
    field_class = text_fields.get(spec.input, forms.CharField)
    return field_class(**common, required=spec.required, widget=_line(spellcheck="false"))


def _secret_field(spec: FieldSpec, *, existing: Channel | None, moves: bool) -> forms.Field:
    """Never filled in; on a channel that has the secret, blank means "keep it" (unless
    the settings marked ``endpoint`` change: ``moves`` says the kind has some)."""
    stored = existing is not None and bool(existing.secrets.get(spec.name))
    note = spec.help
    if stored and moves:
        note = _(
            "A value is stored; leave blank to keep it. It is cleared if you change where "
            "it is sent (server, port, security, user name or address)."
        )
    elif stored:
        note = _("A value is stored; leave blank to keep it.")
    widget = forms.PasswordInput(
        render_value=False,
        attrs={"class": "form-control", "autocomplete": "new-password", "spellcheck": "false"},
    )
    common: dict[str, Any] = {"label": spec.label, "help_text": note}
    return forms.CharField(**common, required=spec.required and not stored, widget=widget)


class ChannelTestForm(StyledForm):
    to = forms.CharField(
        label=_("Send the test to"),
        max_length=254,
        required=False,
        help_text=_("An e-mail address; empty sends it to you."),
        widget=_line(**{"autocomplete": "email", "inputmode": "email", "spellcheck": "false"}),
    )


# --- Delivery settings ----------------------------------------------------------------------


def _time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class DeliverySettingsForm(StyledForm):
    weekly_cap = forms.IntegerField(
        label=_("Weekly limit per person"),
        min_value=1,
        max_value=100,
        help_text=_(
            "Most touches one person receives in any 7 days, across all campaigns. "
            "Mandatory touches do not count against it and are never held back."
        ),
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"),
        help_text=_("Nothing is sent from this time (in each person's time zone)…"),
        widget=forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        help_text=_("…until this time. The same start and end mean no quiet hours."),
        widget=forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
    )
    default_time_zone = forms.CharField(
        label=_("Default time zone"),
        max_length=64,
        help_text=_("For people without a time zone in the directory, e.g. Europe/Amsterdam."),
        widget=_line(**{"list": "time-zones", "spellcheck": "false", "autocomplete": "off"}),
    )

    @staticmethod
    def time_zones() -> list[str]:
        return _time_zone_names()

    def clean_default_time_zone(self) -> str:
        name: str = self.cleaned_data["default_time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                _("“%(name)s” is not a known time zone."), params={"name": name}
            ) from None
        return name

    @classmethod
    def initial_from(cls, row: DeliverySettings) -> dict[str, Any]:
        return {
            "weekly_cap": row.weekly_cap,
            "quiet_start": row.quiet_start,
            "quiet_end": row.quiet_end,
            "default_time_zone": row.default_time_zone,
        }


# --- Preferences ----------------------------------------------------------------------------


class PreferenceForm(StyledForm):
    """Asks which channels to *receive* on (clearer than "opt out of"), and stores the
    complement as ``channels_off``."""

    channels_on = forms.MultipleChoiceField(
        label=_("Send me messages by"),
        required=False,
        choices=[(kind.value, kind.label) for kind in OPTIONAL_KINDS],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Messages come in this language when a version in it exists."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        directory = (
            _("As in the directory (%(language)s)") % {"language": person.language}
            if person.language
            else _("As in the directory")
        )
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", directory), *settings.LANGUAGES]

    @classmethod
    def initial_from(cls, preference: Preference | None) -> dict[str, Any]:
        off: Sequence[str] = preference.channels_off if preference else []
        return {
            "channels_on": [kind.value for kind in OPTIONAL_KINDS if kind.value not in off],
            "language": preference.language if preference else "",
        }

    def channels_off(self) -> list[str]:
        on = set(self.cleaned_data["channels_on"])
        return [kind.value for kind in OPTIONAL_KINDS if kind.value not in on]
