"""Forms for the offerings catalogue. Forms only parse input; the services decide (a taken
slug or activity id, dates out of order), and the views put their refusals on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inward.accounts.models import User
from inward.audiences.models import Persona
from inward.learning.models import Offering, OfferingKind
from inward.learning.services import OFFERING_FIELDS
from inward.web.forms import StyledForm

KIND_CHOICES = [("", _("All kinds")), *OfferingKind.choices]


def _line(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d")


class OfferingForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=200, widget=_line())
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        help_text=_(
            'Short name used in rules (enrolled("leadership-101")) and campaign files. '
            "It cannot change later."
        ),
        widget=_line(**{"data-slug-from": "id_title", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=OfferingKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": "4"}),
    )
    activity_id = forms.URLField(
        label=_("xAPI activity id"),
        max_length=500,
        assume_scheme="https",
        widget=_line(spellcheck="false"),
        help_text=_(
            "The address your learning platform (LMS) reports this offering under, e.g. "
            "https://lms.example.com/courses/leadership-101. Ask the LMS administrator."
        ),
    )
    url = forms.URLField(
        label=_("Link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=_line(spellcheck="false"),
        help_text=_("Where people enrol or read more; campaigns link here."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label=_("Nobody yet"),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("Who answers questions about it."),
    )
    starts_on = forms.DateField(label=_("Starts"), required=False, widget=_date())
    ends_on = forms.DateField(label=_("Ends"), required=False, widget=_date())

    def __init__(self, *args: Any, offering: Offering | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offering = offering
        if offering is not None:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _(
                "The slug cannot change: rules and campaign files use it."
            )

    @classmethod
    def initial_for(cls, offering: Offering) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(offering, name) for name in OFFERING_FIELDS}
        initial["owner"] = offering.owner_id
        initial["slug"] = offering.slug
        return initial

    def fields_data(self) -> dict[str, Any]:
        """The cleaned fields the services take (everything but the slug)."""
        return {name: self.cleaned_data[name] for name in OFFERING_FIELDS}


class OfferingPersonasForm(StyledForm):
    """One what's-in-it-for-me line per persona (``wiifm_<id>``)."""

    def __init__(self, *args: Any, personas: list[Persona], wiifm: dict[int, str], **kw: Any):
        super().__init__(*args, **kw)
        self.personas = personas
        for persona in personas:
            name = f"wiifm_{persona.pk}"
            self.fields[name] = forms.CharField(
                label=persona.name,
                max_length=500,
                required=False,
                widget=_line(),
                help_text=_("Leave empty if this offering is not for this persona."),
            )
            self.initial.setdefault(name, wiifm.get(persona.pk, ""))

    def wiifm(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data[f"wiifm_{p.pk}"] for p in self.personas}

    def persona_fields(self) -> list[forms.BoundField]:
        return [self[f"wiifm_{persona.pk}"] for persona in self.personas]
