"""Forms for the directory pages: they parse and validate, nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inward.directory.models import Status
from inward.directory.selectors import department_options, language_options, site_options

SORT_COLUMNS = ("name", "email", "job_title", "department", "site", "status")
SORT_CHOICES = [(key, key) for column in SORT_COLUMNS for key in (column, f"-{column}")]

IMPORT_EXTENSIONS = (".csv", ".txt", ".xlsx")
IMPORT_MAX_BYTES = 50 * 1024 * 1024  # well above 50,000 rows of CSV

# Values of a column's mapping <select> besides the directory fields themselves.
MAP_ATTRIBUTE = "attr"
MAP_IGNORE = "ignore"

FIELD_LABELS: dict[str, Any] = {
    "external_id": _("External ID"),
    "email": _("E-mail"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "preferred_name": _("Preferred name"),
    "job_title": _("Job title"),
    "department": _("Department"),
    "site": _("Site"),
    "country": _("Country"),
    "time_zone": _("Time zone"),
    "language": _("Language"),
    "manager_email": _("Manager e-mail"),
    "manager": _("Manager"),
    "manager_external_id": _("Manager external ID"),
    "hire_date": _("Hire date"),
    "status": _("Status"),
    "tags": _("Tags"),
}


class PersonSearchForm(forms.Form):
    """The directory list's GET parameters. Invalid values fall back to "no filter"."""

    q = forms.CharField(
        label=_("Search name, e-mail or job title"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"class": "form-control form-control-sm"}),
    )
    department = forms.ChoiceField(label=_("Department"), required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("All"))]
        self._set_choices("department", anything + _pairs(department_options()))
        self._set_choices("site", anything + _pairs(site_options()))
        self._set_choices("language", anything + _pairs(language_options()))
        self._set_choices("status", anything + list(Status.choices))
        for name in ("department", "site", "language", "status"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def _set_choices(self, name: str, choices: Sequence[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filters(self) -> dict[str, str]:
        """Keyword arguments for ``person_search``; empty strings where a value was invalid."""
        names = ("q", "department", "site", "language", "status", "sort")
        data = self.cleaned_data if self.is_valid() else {}
        values = {name: str(data.get(name) or "") for name in names}
        if not values["sort"]:
            values["sort"] = "name"
        values["query"] = values.pop("q")
        return values


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A CSV file (comma, semicolon or tab separated) or an Excel XLSX workbook."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in IMPORT_EXTENSIONS:
            raise forms.ValidationError(
                _("Choose a .csv, .txt or .xlsx file; other file types cannot be imported.")
            )
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 50 MB. Split it into smaller files and import each.")
            )
        return upload


class ImportMappingForm(forms.Form):
    """One ``<select>`` per column of the file, plus the sync options.

    The columns are named ``column_0``, ``column_1``, … in the order of the file's header, so
    a header that is not a valid HTML name (or repeats) still maps cleanly.
    """

    full_sync = forms.BooleanField(
        label=_("Full sync: mark people absent from the file as left"),
        required=False,
        help_text=_("Use only with a complete export of everyone in the organisation."),
    )

    def __init__(
        self,
        *args: Any,
        headers: Sequence[str],
        fields: Iterable[str],
        suggested: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        choices = [(name, FIELD_LABELS.get(name, name)) for name in fields]
        choices += [(MAP_ATTRIBUTE, _("Custom attribute")), (MAP_IGNORE, _("Ignore"))]
        for index, header in enumerate(self.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header.strip() or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                initial=_initial_choice(suggested.get(header)),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [cleaned.get(f"column_{i}") for i in range(len(self.headers))]
        seen: set[str] = set()
        for index, value in enumerate(chosen):
            if value in (None, MAP_ATTRIBUTE, MAP_IGNORE):
                continue
            if value in seen:
                self.add_error(
                    f"column_{index}",
                    _("Another column is already mapped to this field; choose one of them."),
                )
            seen.add(str(value))
        if "email" not in seen and not self.errors:
            raise forms.ValidationError(_("Map one column to E-mail: it identifies each person."))
        return cleaned

    def mapping(self) -> dict[str, str]:
        """Header -> field name, ``attr:<header>`` or ``ignore``, for ``import_people``."""
        result: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            if not header.strip():
                continue  # the importer skips unnamed columns
            value = self.cleaned_data[f"column_{index}"]
            result[header] = f"attr:{header.strip()}" if value == MAP_ATTRIBUTE else value
        return result


def _initial_choice(suggestion: str | None) -> str:
    if not suggestion:
        return MAP_IGNORE
    if suggestion.startswith("attr:"):
        return MAP_ATTRIBUTE
    return suggestion
