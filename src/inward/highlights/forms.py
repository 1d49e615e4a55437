"""Forms: they check input and hand clean values to a service; they save nothing."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inward.campaigns.models import Campaign
from inward.delivery.models import Channel
from inward.highlights.images import MAX_BYTES, CleanImage, ImageRefused, image_clean
from inward.highlights.models import (
    Highlight,
    HighlightKind,
    Stakeholder,
)
from inward.highlights.selectors import email_channels, slack_channels

# A digest's title becomes the e-mail's Subject and a stakeholder's name its To: a line
# break there would add headers (a Bcc to anyone), so control characters are refused.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise forms.ValidationError(_("Use one line, without line breaks or tabs."))
    return value


_TEXT = {"class": "form-control"}
_SLACK_ID = re.compile(r"[CDGUW][A-Z0-9]{5,}")


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs=_TEXT | attrs)


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs=_TEXT | {"rows": rows})


class HighlightForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What is it?"),
        choices=HighlightKind.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        widget=_text(),
        help_text=gettext_lazy("One line a busy leader reads first, e.g. “Onboarding doubled”."),
    )
    story = forms.CharField(
        label=gettext_lazy("Short story"),
        required=False,
        max_length=2000,
        widget=_area(4),
        help_text=gettext_lazy("What happened and why it matters, in two or three sentences."),
    )
    quote_text = forms.CharField(
        label=gettext_lazy("Quote"), required=False, max_length=1000, widget=_area(3)
    )
    quote_by = forms.CharField(
        label=gettext_lazy("Who said it"),
        required=False,
        max_length=200,
        widget=_text(),
        help_text=gettext_lazy("Name and role, with their permission, e.g. “Sanne, team lead”."),
    )
    number_value = forms.CharField(
        label=gettext_lazy("The number"),
        required=False,
        max_length=40,
        widget=_text(),
        help_text=gettext_lazy("As it should read, e.g. 312 or 87%."),
    )
    number_label = forms.CharField(
        label=gettext_lazy("What it counts"),
        required=False,
        max_length=200,
        widget=_text(),
        help_text=gettext_lazy("e.g. “enrolled in the first week”."),
    )
    picture = forms.FileField(
        label=gettext_lazy("Picture file"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/png,image/jpeg,image/webp"}
        ),
        help_text=gettext_lazy(
            "PNG, JPEG or WebP, at most 5 MB and 4000 pixels on a side. Inward removes "
            "hidden details such as the camera and the place it was taken."
        ),
    )
    image_alt = forms.CharField(
        label=gettext_lazy("Describe the picture"),
        required=False,
        max_length=300,
        widget=_text(),
        help_text=gettext_lazy("For readers who cannot see it."),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("No campaign"),
        widget=forms.Select(attrs={"class": "form-select"}),
        to_field_name="slug",
    )
    pinned = forms.BooleanField(
        label=gettext_lazy("Pinned (offered for digests)"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clean_image: CleanImage | None = None

    @staticmethod
    def initial_for(highlight: Highlight) -> dict[str, Any]:
        fields = (
            *("kind", "title", "story", "quote_text", "quote_by", "number_value"),
            *("number_label", "image_alt", "pinned"),
        )
        initial = {name: getattr(highlight, name) for name in fields}
        initial["campaign"] = highlight.campaign.slug if highlight.campaign else None
        return initial

    def clean_picture(self) -> UploadedFile[bytes] | None:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("picture") or None
        if upload is None:
            return None
        try:  # reads one byte past the limit, so image_clean refuses a larger file
            self.clean_image = image_clean(upload.read(MAX_BYTES + 1))
        except ImageRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as the services take them (no upload, only the image)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "picture"}


class StakeholderForm(forms.ModelForm[Stakeholder]):
    class Meta:
        model = Stakeholder
        fields = ["name", "email", "slack", "preferred_channel", "cadence_days", "notes"]
        labels = {
            "name": gettext_lazy("Name"),
            "email": gettext_lazy("E-mail address"),
            "slack": gettext_lazy("Slack user or channel ID"),
            "preferred_channel": gettext_lazy("Prefers"),
            "cadence_days": gettext_lazy("Hear from the team every … days"),
            "notes": gettext_lazy("Notes"),
        }
        help_texts = {
            "slack": gettext_lazy(
                "Optional: U… for a person, C… for a channel. Empty: Inward finds them in "
                "Slack by their e-mail address."
            ),
            "cadence_days": gettext_lazy(
                "Inward warns when they have heard nothing for longer, e.g. 30."
            ),
            "notes": gettext_lazy("What they care about, what they decide on."),
        }
        widgets = {
            "name": _text(),
            "email": forms.EmailInput(attrs=_TEXT),
            "slack": _text(),
            "preferred_channel": forms.Select(attrs={"class": "form-select"}),
            "cadence_days": forms.NumberInput(attrs=_TEXT | {"min": 1, "max": 366}),
            "notes": _area(3),
        }

    def clean_name(self) -> str:
        return _one_line(str(self.cleaned_data["name"]))

    def clean_email(self) -> str:
        # Also checked by the services; here too so it shows with the form's other errors.
        address = str(self.cleaned_data["email"]).strip()
        others = Stakeholder.objects.filter(email__iexact=address)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A stakeholder with this e-mail address exists."))
        return address

    def clean_slack(self) -> str:
        value = str(self.cleaned_data.get("slack") or "").strip()
        if value and not _SLACK_ID.fullmatch(value):
            raise forms.ValidationError(
                _("Enter a Slack ID such as U0123ABCD or C0123ABCD, or leave it empty.")
            )
        return value

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ContactForm(forms.Form):
    contacted_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs=_TEXT | {"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=500,
        widget=_text(),
        help_text=gettext_lazy("e.g. “Quarterly review, showed the onboarding funnel”."),
    )


class DigestForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        widget=_text(),
        help_text=gettext_lazy("The e-mail subject, e.g. “Learning highlights, March”."),
    )
    intro = forms.CharField(
        label=gettext_lazy("Introduction"),
        required=False,
        max_length=3000,
        widget=_area(4),
        help_text=gettext_lazy("A few sentences before the highlights."),
    )
    highlights = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Highlights"),
        queryset=Highlight.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    stakeholders = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Stakeholders"),
        queryset=Stakeholder.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    email_channel = forms.ModelChoiceField(
        label=gettext_lazy("E-mail channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=gettext_lazy("Inward's own mail settings"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    slack_channel = forms.ModelChoiceField(
        label=gettext_lazy("Slack channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=gettext_lazy("None: everyone gets e-mail"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, chosen: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        highlights = Highlight.objects.defer("image").select_related("campaign")
        # Pinned ones, and any unpinned one the digest already carries.
        choosable = highlights.filter(pinned=True) | highlights.filter(pk__in=chosen or [])
        self.fields["highlights"].queryset = choosable.distinct()  # type: ignore[attr-defined]
        self.fields["email_channel"].queryset = email_channels()  # type: ignore[attr-defined]
        self.fields["slack_channel"].queryset = slack_channels()  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        return _one_line(str(self.cleaned_data["title"]))
