"""What every form in Inward shares: Bootstrap's invalid styling on fields with errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField


class StyledBoundField(BoundField):
    """Adds Bootstrap's ``is-invalid`` to a widget with errors (Django links the message)."""

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            classes = attrs.get("class") or widget.attrs.get("class", "")
            attrs["class"] = f"{classes} is-invalid".strip()
        return attrs


class StyledForm(forms.Form):
    bound_field_class = StyledBoundField
