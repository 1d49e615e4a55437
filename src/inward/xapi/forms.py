"""Forms of the LMS client pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inward.web.forms import StyledForm


class LrsClientForm(StyledForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_(
            "The learning system that will send records, e.g. “Moodle” or “Workday Learning”."
        ),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("Give the client a name."))
        return name
