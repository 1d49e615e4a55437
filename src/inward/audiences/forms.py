"""Forms for the audience and persona pages, and the visual rule builder.

The builder is a formset of ``field operator value`` rows joined by "all" (and) or "any"
(or). It only ever *writes* the text rule; the text stays the source of truth, and a rule
is loaded back into rows only when it is a flat and/or of simple comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from inward.audiences.models import Audience, Persona
from inward.audiences.rules import RuleError, parse_rule, rule_to_text
from inward.audiences.rules.ast import (
    LIST_OPERATORS,
    NO_VALUE_OPERATORS,
    And,
    Compare,
    Duration,
    Node,
    Or,
    Scalar,
    Value,
)
from inward.audiences.services import RESERVED_SLUGS
from inward.web.forms import StyledBoundField, StyledForm


class StyledModelForm(forms.ModelForm):  # type: ignore[type-arg]
    bound_field_class = StyledBoundField


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _line(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class AudienceForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=_line())
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=100,
        help_text=_('Short name used in links and in in_audience("…"), e.g. sales-nl.'),
        widget=_line(**{"data-slug-from": "id_name", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=_text(2))
    rule = forms.CharField(label=_("Rule as text"), widget=_text(6))

    def __init__(self, *args: Any, audience: Audience | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience = audience
        if audience is not None:
            # Other rules may say in_audience("slug"), so a slug never changes.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("The slug cannot change: other rules may use it.")
            self.initial["slug"] = audience.slug

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This slug is reserved; choose another."))
        taken = Audience.objects.filter(slug=slug)
        if self.audience is not None:
            taken = taken.exclude(pk=self.audience.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another audience already uses this slug."))
        return slug

    def clean_rule(self) -> str:
        rule: str = self.cleaned_data["rule"]
        try:
            parse_rule(rule)
        except RuleError as error:
            raise forms.ValidationError(str(error)) from error
        return rule


class PersonaForm(StyledModelForm):
    class Meta:
        model = Persona
        fields = ["name", "wiifm", "needs", "pain_points", "audience"]
        labels = {
            "name": _("Name"),
            "wiifm": _("What's in it for me"),
            "needs": _("Needs"),
            "pain_points": _("Pain points"),
            "audience": _("Audience"),
        }
        help_texts = {
            "wiifm": _("One line, in their words: why should this person care?"),
            "audience": _("The audience this persona belongs to. Optional."),
        }
        widgets = {
            "name": _line(),
            "wiifm": _line(),
            "needs": _text(),
            "pain_points": _text(),
            "audience": forms.Select(attrs={"class": "form-select"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        audience = self.fields["audience"]
        assert isinstance(audience, forms.ModelChoiceField)
        audience.empty_label = _("No audience")


# The visual builder ------------------------------------------------------------------

FIELD_CHOICES = [
    ("department", _("Department")),
    ("site", _("Site")),
    ("language", _("Language")),
    ("country", _("Country")),
    ("job_title", _("Job title")),
    ("tenure", _("Tenure (e.g. 90d, 2w, 6m, 1y)")),
    ("hire_date", _("Hire date")),
    ("status", _("Status")),
    ("tags", _("Tags")),
    ("email", _("E-mail")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("preferred_name", _("Preferred name")),
    ("time_zone", _("Time zone")),
    ("external_id", _("External ID")),
    ("manager", _("Manager (e-mail)")),
]
OPERATOR_CHOICES = [
    ("=", _("equals (=)")),
    ("!=", _("does not equal (!=)")),
    ("in", _("is one of (in)")),
    ("not in", _("is none of (not in)")),
    ("<", _("is less than (<)")),
    ("<=", _("is at most (<=)")),
    (">", _("is more than (>)")),
    (">=", _("is at least (>=)")),
    ("contains", _("contains")),
    ("startswith", _("starts with")),
    ("is empty", _("is empty")),
    ("is not empty", _("is not empty")),
]
BUILDER_FIELDS = {value for value, _label in FIELD_CHOICES}
BUILDER_PREFIX = "cond"
_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")


class ConditionForm(StyledForm):
    field = forms.ChoiceField(
        label=_("Field"), choices=FIELD_CHOICES, widget=forms.Select(attrs={"class": "form-select"})
    )
    op = forms.ChoiceField(
        label=_("Operator"),
        choices=OPERATOR_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    value = forms.CharField(
        label=_("Value"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


ConditionFormSet: type[BaseFormSet[ConditionForm]] = formset_factory(
    ConditionForm, extra=0, max_num=30, absolute_max=30
)


@dataclass
class Builder:
    """The builder's state: how rows combine, the rows, and a note for the person."""

    match: str = "all"
    rows: list[dict[str, str]] = field(default_factory=list)
    note: str = ""
    focus: str = ""

    @classmethod
    def from_data(cls, data: Any) -> Builder:
        """Read the rows as posted; rows with an unknown field or operator are dropped."""
        match = data.get("match") if data.get("match") in ("all", "any") else "all"
        formset = ConditionFormSet(data, prefix=BUILDER_PREFIX)
        rows = []
        if formset.is_valid():
            rows = [
                {"field": f["field"], "op": f["op"], "value": f["value"]}
                for f in formset.cleaned_data
                if f
            ]
        return cls(match=match, rows=rows)

    @classmethod
    def starting_with(cls, field: str, value: str = "") -> Builder:
        return cls(rows=[{"field": field, "op": "=", "value": value}])

    def add_row(self) -> None:
        if len(self.rows) < 30:
            self.rows.append({"field": "department", "op": "=", "value": ""})
        self.focus = f"id_{BUILDER_PREFIX}-{len(self.rows) - 1}-field"

    def remove_row(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            del self.rows[index]
        self.focus = "builder-add"

    def load(self, text: str) -> bool:
        """Replace the rows with ``text`` if it is simple enough; say why not otherwise."""
        try:
            rows, match = rows_from_rule(text)
        except RuleError as error:
            self.note = str(
                _("The rule as text has an error, so it cannot be loaded: %(error)s")
            ) % {"error": error}
            return False
        if rows is None:
            self.note = str(_("This rule is too complex for the builder; edit the text."))
            return False
        self.rows, self.match = rows, match
        self.note = str(_("Rule loaded into the builder."))
        return True

    def to_text(self) -> str:
        """The text rule for the complete rows; empty when there are none."""
        nodes: list[Node] = [node for row in self.rows if (node := _row_to_node(row))]
        if not nodes:
            return ""
        if len(nodes) == 1:
            return rule_to_text(nodes[0])
        return rule_to_text(And(tuple(nodes)) if self.match == "all" else Or(tuple(nodes)))

    def conditions(self) -> BaseFormSet[ConditionForm]:
        """The rows as an unbound formset, numbered afresh."""
        return ConditionFormSet(initial=self.rows, prefix=BUILDER_PREFIX)


def _scalar(field_name: str, text: str) -> Scalar:
    if field_name == "tenure" and (found := _DURATION.match(text)):
        return Duration(int(found.group(1)), found.group(2))  # type: ignore[arg-type]
    return text.strip()


def _row_to_node(row: dict[str, str]) -> Compare | None:
    field_name, op, raw = row["field"], row["op"], row["value"].strip()
    if op in NO_VALUE_OPERATORS:
        return Compare(field_name, op, None)
    if not raw:
        return None
    if op in LIST_OPERATORS:
        items = tuple(_scalar(field_name, part) for part in raw.split(",") if part.strip())
        return Compare(field_name, op, items) if items else None
    return Compare(field_name, op, _scalar(field_name, raw))


def _value_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def rows_from_rule(text: str) -> tuple[list[dict[str, str]] | None, str]:
    """Builder rows for a flat and/or of comparisons on builder fields, else ``None``."""
    node = parse_rule(text)
    match = "any" if isinstance(node, Or) else "all"
    items = node.items if isinstance(node, And | Or) else (node,)
    if not all(isinstance(item, Compare) and item.field in BUILDER_FIELDS for item in items):
        return None, match
    compares = [item for item in items if isinstance(item, Compare)]
    if any("," in str(v) for c in compares if isinstance(c.value, tuple) for v in c.value):
        return None, match  # a comma inside a list value would split into two on the way back
    rows = [{"field": c.field, "op": c.op, "value": _value_text(c.value)} for c in compares]
    return rows, match
