"""Rule tree -> one Django ``Q`` on Person, so a rule is one SQL query on any database.

Every clause compiles to a Q that is TRUE or FALSE for every person, never NULL: nullable
columns are guarded or coalesced. That keeps ``not`` meaning "the clause does not hold"
(SQL's three-valued NOT would silently drop people with, say, no site).
"""

from __future__ import annotations

import calendar
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Concat, Lower
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils import timezone

from inward.audiences.rules.ast import Call, Compare, Duration, Node, Not, Or, names_field
from inward.audiences.rules.errors import RuleError
from inward.audiences.rules.fields import ATTR_PREFIX, Kind, field_kind
from inward.audiences.rules.functions import FUNCTIONS
from inward.directory.models import Department, Person, Site, Status

AudienceRules = Callable[[str], str | None]
NEGATED = {"!=": "=", "not in": "in", "is not empty": "is empty"}
ORDERING = {"<": LessThan, "<=": LessThanOrEqual, ">": GreaterThan, ">=": GreaterThanOrEqual}
# tenure < 90d means hired after the day 90 days ago: the comparison turns around.
TENURE_TO_HIRE_DATE = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


@dataclass
class CompileContext:
    """What compiling needs besides the tree: today, and how to read saved audiences.

    ``stack`` holds the slugs of audiences being compiled, to catch rules that refer to
    themselves. Campaign and offering slugs named by behavioural functions are looked up
    once each (``campaign_id``, ``offering_id``).
    """

    today: date
    audience_rules: AudienceRules
    stack: tuple[str, ...] = ()
    _cache: dict[str, Q] = field(default_factory=dict)
    _ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def rule_q(self, node: Node) -> Q:
        """Membership: the rule, and ``status = "active"`` unless the rule names status."""
        q = self.node_q(node)
        return q if names_field(node, "status") else q & Q(status=Status.ACTIVE)

    def node_q(self, node: Node) -> Q:
        if isinstance(node, Compare):
            return compare_q(node, today=self.today)
        if isinstance(node, Call):
            return self.call_q(node)
        if isinstance(node, Not):
            return ~self.node_q(node.item)
        return _combine([self.node_q(item) for item in node.items], either=isinstance(node, Or))

    def call_q(self, node: Call) -> Q:
        """A function call; an unknown campaign or offering slug points at the call.

        (An unknown saved audience keeps its message without a place, as ever: it may come
        from deep inside another audience's rule.)"""
        try:
            return FUNCTIONS[node.name].compile(self, node.args)
        except UnknownSlug as error:
            if node.place is None:
                raise
            raise error.at(*node.place) from None

    def campaign_id(self, slug: str) -> int:
        """The id of the campaign with this slug; RuleError if there is none."""
        from inward.campaigns.models import Campaign

        return self._object_id(Campaign, "campaign", slug)

    def offering_id(self, slug: str) -> int:
        """The id of the learning offering with this slug; RuleError if there is none."""
        from inward.learning.models import Offering

        return self._object_id(Offering, "learning offering", slug)

    def _object_id(self, model: Any, what: str, slug: str) -> int:
        key = (what, slug)
        if key not in self._ids:
            found = model.objects.filter(slug=slug).values_list("pk", flat=True).first()
            if found is None:
                raise UnknownSlug(_no_such(model, what, slug))
            self._ids[key] = found
        return self._ids[key]

    def window_start(self, window: Duration | None) -> datetime | None:
        """The first instant a window (``30d``: today and the 30 days before) covers: the
        start of that day in the current time zone. None for no window."""
        if window is None:
            return None
        day = date_before(self.today, window)
        return timezone.make_aware(datetime.combine(day, time.min))

    def audience_q(self, slug: str) -> Q:
        if slug in self.stack:
            raise RuleError(_cycle_message([*self.stack[self.stack.index(slug) :], slug]))
        if slug not in self._cache:
            self._cache[slug] = self._compile_audience(slug)
        return self._cache[slug]

    def _compile_audience(self, slug: str) -> Q:
        from inward.audiences.rules.parser import parse

        text = self.audience_rules(slug)
        if text is None:
            raise RuleError(f'there is no saved audience "{slug}"')
        nested = CompileContext(self.today, self.audience_rules, (*self.stack, slug))
        return nested.rule_q(parse(text))


class UnknownSlug(RuleError):
    """A behavioural function names a campaign or offering that does not exist."""


def _no_such(model: Any, what: str, slug: str) -> str:
    known = list(model.objects.values_list("slug", flat=True)[:1000])
    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f'there is no {what} "{slug}"{hint}'


def _cycle_message(chain: list[str]) -> str:
    through = chain[1:-1]
    if not through:
        return f"audience {chain[0]} refers to itself"
    return f"audience {chain[0]} refers to itself through {', '.join(through)}"


def _combine(parts: list[Q], *, either: bool) -> Q:
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if either else combined & part
    return combined


def compare_q(node: Compare, *, today: date) -> Q:
    """One comparison as a Q that is never NULL."""
    if node.op in NEGATED:
        return ~compare_q(Compare(node.field, NEGATED[node.op], node.value), today=today)
    kind = field_kind(node.field)
    assert kind is not None, node.field
    return KIND_COMPILERS[kind](node, today)


def _texts(node: Compare) -> list[str]:
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    return [str(value).lower() for value in values if value is not None]


def text_q(expression: Combinable | str, op: str, values: list[str]) -> Q:
    """A case-insensitive comparison on a text expression that is never NULL."""
    lowered = Lower(expression)
    if op == "=":
        return Q(Exact(lowered, values[0]))
    if op == "in":
        return Q(In(lowered, values))
    if op == "contains":
        return Q(Contains(lowered, values[0]))
    if op == "startswith":
        return Q(StartsWith(lowered, values[0]))
    assert op == "is empty", op
    return Q(Exact(F(expression) if isinstance(expression, str) else expression, ""))


def _empty_text_matches(op: str, values: list[str]) -> bool:
    """Whether a missing related row (no site, no manager), read as "", satisfies ``op``."""
    if op in ("=", "in"):
        return "" in values
    return op == "is empty" or values == [""]


def _column_q(node: Compare, today: date) -> Q:
    column = Person._meta.get_field(node.field)
    expression: Combinable | str = node.field
    if column.null:
        expression = Coalesce(F(node.field), Value(""), output_field=TextField())
    return text_q(expression, node.op, _texts(node))


def _attr_q(node: Compare, today: date) -> Q:
    key = KeyTextTransform(node.field.removeprefix(ATTR_PREFIX), "attributes")
    expression = Coalesce(key, Value(""), output_field=TextField())
    return text_q(expression, node.op, _texts(node))


def _related_q(fk: str, related: QuerySet[Any, Any], *, empty_matches: bool) -> Q:
    """People whose ``fk`` points into ``related`` rows; people with none if empty matches."""
    q = Q(**{f"{fk}__isnull": False}) & Q(**{f"{fk}__in": related})
    return q | Q(**{f"{fk}__isnull": True}) if empty_matches else q


def _site_q(node: Compare, today: date) -> Q:
    values = _texts(node)
    sites = Site.objects.filter(text_q("name", node.op, values)).values("pk")
    return _related_q("site", sites, empty_matches=_empty_text_matches(node.op, values))


def _manager_q(node: Compare, today: date) -> Q:
    values = _texts(node)
    managers = Person.objects.filter(text_q("email", node.op, values)).values("pk")
    return _related_q("manager", managers, empty_matches=_empty_text_matches(node.op, values))


def _department_q(node: Compare, today: date) -> Q:
    if node.op == "is empty":
        return Q(department__isnull=True)
    return Q(department__isnull=False) & Q(department__in=department_subtree(_texts(node)))


def department_subtree(values: list[str]) -> QuerySet[Department, Any]:
    """Departments named (by name or full path, any case) and every department below them."""
    named = Q(In(Lower("path"), values)) | Q(In(Lower("name"), values))
    below = Department.objects.filter(named).filter(
        StartsWith(OuterRef("path"), Concat(F("path"), Value("/"), output_field=TextField()))
    )
    return Department.objects.filter(named | Q(Exists(below))).values("pk")


def _language_q(node: Compare, today: date) -> Q:
    values = _texts(node)
    if node.op not in ("=", "in"):
        return text_q("language", node.op, values)
    # BCP 47: "nl" also means "nl-NL" and "nl-BE".
    parts = [text_q("language", "=", [value]) for value in values]
    parts += [text_q("language", "startswith", [f"{value}-"]) for value in values]
    return _combine(parts, either=True)


def _status_q(node: Compare, today: date) -> Q:
    return Q(status__in=_texts(node))


def _tags_q(node: Compare, today: date) -> Q:
    if node.op == "is empty":
        return Q(tags="")
    return Q(Contains(Lower("tags"), f";{_texts(node)[0].strip()};"))


def _date_q(node: Compare, today: date) -> Q:
    if node.op == "is empty":
        return Q(hire_date__isnull=True)
    return hire_date_q(node.op, date.fromisoformat(str(node.value)))


def hire_date_q(op: str, day: date) -> Q:
    present = Q(hire_date__isnull=False)
    if op == "=":
        return present & Q(hire_date=day)
    return present & Q(ORDERING[op](F("hire_date"), day))


def _tenure_q(node: Compare, today: date) -> Q:
    assert isinstance(node.value, Duration)
    return hire_date_q(TENURE_TO_HIRE_DATE[node.op], date_before(today, node.value))


def date_before(today: date, duration: Duration) -> date:
    """``today`` minus a duration; months and years are calendar ones (31 March - 1m = 28/29
    February)."""
    if duration.unit in ("d", "w"):
        return today - timedelta(days=duration.amount * (7 if duration.unit == "w" else 1))
    months = duration.amount * (12 if duration.unit == "y" else 1)
    index = today.year * 12 + (today.month - 1) - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(today.day, last_day))


KIND_COMPILERS: dict[Kind, Callable[[Compare, date], Q]] = {
    Kind.TEXT: _column_q,
    Kind.ATTR: _attr_q,
    Kind.SITE: _site_q,
    Kind.MANAGER: _manager_q,
    Kind.DEPARTMENT: _department_q,
    Kind.LANGUAGE: _language_q,
    Kind.STATUS: _status_q,
    Kind.TAGS: _tags_q,
    Kind.DATE: _date_q,
    Kind.TENURE: _tenure_q,
}
