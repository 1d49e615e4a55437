"""A plain-Python reading of the rule language, used only by tests as an oracle.

It shares the tree with the compiler but none of its code: the property test checks that
the SQL the compiler writes picks the same people as this straightforward evaluation.
Keep it simple and obviously right rather than fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from inward.analytics.models import EngagementEvent
from inward.audiences.rules.ast import And, Call, Compare, Duration, Node, Not, Or, leaves
from inward.directory.models import Person

# What each behavioural function counts, written out again rather than imported.
BEHAVIOUR = {
    "opened": ("campaign", {"opened", "clicked", "read"}),
    "clicked": ("campaign", {"clicked"}),
    "enrolled": ("offering", {"enrolled", "started", "completed", "passed"}),
    "completed": ("offering", {"completed", "passed"}),
}


@dataclass(frozen=True)
class Event:
    """One engagement event, reduced to what rules read."""

    person_id: int
    kind: str
    campaign: str | None  # slug
    offering: str | None  # slug
    occurred_at: datetime
    robot: bool


@dataclass
class World:
    """Everyone in the directory, loaded, plus saved audiences' trees."""

    today: date
    people: dict[int, Person]
    audiences: dict[str, Node] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    @classmethod
    def load(cls, *, today: date, audiences: dict[str, Node] | None = None) -> World:
        people = Person.objects.select_related("department", "site")
        rows = EngagementEvent.objects.select_related("campaign", "offering")
        events = [
            Event(
                person_id=row.person_id,
                kind=row.kind,
                campaign=row.campaign.slug if row.campaign else None,
                offering=row.offering.slug if row.offering else None,
                occurred_at=row.occurred_at,
                robot=row.robot,
            )
            for row in rows
            if row.person_id is not None
        ]
        return cls(today, {p.pk: p for p in people}, audiences or {}, events)

    def members(self, node: Node) -> set[int]:
        return {pk for pk, person in self.people.items() if self.is_member(node, person)}

    def is_member(self, node: Node, person: Person) -> bool:
        mentions_status = any(isinstance(x, Compare) and x.field == "status" for x in leaves(node))
        if not mentions_status and person.status != "active":
            return False
        return self.holds(node, person)

    def holds(self, node: Node, person: Person) -> bool:
        if isinstance(node, And):
            return all(self.holds(item, person) for item in node.items)
        if isinstance(node, Or):
            return any(self.holds(item, person) for item in node.items)
        if isinstance(node, Not):
            return not self.holds(node.item, person)
        if isinstance(node, Call):
            return self.call(node, person)
        return self.compare(node, person)

    def call(self, node: Call, person: Person) -> bool:
        argument = str(node.args[0])
        if node.name in BEHAVIOUR:
            return self.behaved(node, person)
        if node.name == "in_audience":
            return self.is_member(self.audiences[argument], person)
        email = argument.strip().lower()
        chain = self.managers_of(person)
        if node.name == "reports_directly_to":
            chain = chain[:1]
        return any(manager.email.lower() == email for manager in chain)

    def behaved(self, node: Call, person: Person) -> bool:
        """Any event of the person, not a robot's, of a counted kind, about the named
        campaign or offering, on or after the first day of the window (local time)."""
        about, kinds = BEHAVIOUR[node.name]
        slug = str(node.args[0])
        first_day = None
        if len(node.args) > 1:
            assert isinstance(node.args[1], Duration)
            first_day = _go_back(self.today, node.args[1])
        for event in self.events:
            if event.person_id != person.pk or event.robot or event.kind not in kinds:
                continue
            if (event.campaign if about == "campaign" else event.offering) != slug:
                continue
            local_day = timezone.localtime(event.occurred_at).date()
            if first_day is None or local_day >= first_day:
                return True
        return False

    def managers_of(self, person: Person) -> list[Person]:
        chain: list[Person] = []
        current = self.people.get(person.manager_id) if person.manager_id else None
        while current is not None and current not in chain:
            chain.append(current)
            current = self.people.get(current.manager_id) if current.manager_id else None
        return chain

    def compare(self, node: Compare, person: Person) -> bool:
        negations = {"!=": "=", "not in": "in", "is not empty": "is empty"}
        if node.op in negations:
            return not self.compare(Compare(node.field, negations[node.op], node.value), person)
        if node.field == "department":
            return self.department(node, person)
        if node.field in ("hire_date", "tenure"):
            return self.dates(node, person)
        if node.field == "tags":
            if node.op == "is empty":
                return person.tags == ""
            return str(node.value).strip().lower() in person.tag_list
        return self.text(node, self.text_of(node.field, person))

    def text_of(self, name: str, person: Person) -> str:
        if name.startswith("attr."):
            raw = person.attributes.get(name[5:])
            return "" if raw is None else str(raw)
        if name == "site":
            return person.site.name if person.site else ""
        if name == "manager":
            manager = self.people.get(person.manager_id) if person.manager_id else None
            return manager.email if manager else ""
        return getattr(person, name) or ""

    def text(self, node: Compare, actual: str) -> bool:
        actual = actual.lower()
        wanted = _wanted(node)
        if node.op == "is empty":
            return actual == ""
        if node.op == "contains":
            return wanted[0] in actual
        if node.op == "startswith":
            return actual.startswith(wanted[0])
        if node.field == "language":
            return any(actual == w or actual.startswith(w + "-") for w in wanted)
        return actual in wanted

    def department(self, node: Compare, person: Person) -> bool:
        if person.department is None:
            return node.op == "is empty"
        if node.op == "is empty":
            return False
        wanted = _wanted(node)
        segments = person.department.path.split("/")
        for depth in range(1, len(segments) + 1):
            ancestor_path = "/".join(segments[:depth]).lower()
            ancestor_name = segments[depth - 1].lower()
            if ancestor_path in wanted or ancestor_name in wanted:
                return True
        return False

    def dates(self, node: Compare, person: Person) -> bool:
        hired = person.hire_date
        if node.op == "is empty":
            return hired is None
        if hired is None:
            return False
        if node.field == "hire_date":
            return _ordered(hired, node.op, date.fromisoformat(str(node.value)))
        assert isinstance(node.value, Duration)
        # Tenure is the time from hire to today; "< 90d" means hired less than 90 days ago,
        # i.e. hired after the day that lies 90 days back.
        back = _go_back(self.today, node.value)
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[node.op]
        return _ordered(hired, flipped, back)


def _ordered(left: date, op: str, right: date) -> bool:
    return {
        "=": left == right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def _go_back(today: date, duration: Duration) -> date:
    if duration.unit == "d":
        return today - timedelta(days=duration.amount)
    if duration.unit == "w":
        return today - timedelta(weeks=duration.amount)
    months = duration.amount if duration.unit == "m" else duration.amount * 12
    year, month = today.year, today.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    days_in_month = (first_of_next - timedelta(days=1)).day
    return date(year, month, min(today.day, days_in_month))


def _wanted(node: Compare) -> list[str]:
    values = node.value if isinstance(node.value, tuple) else [node.value]
    return [str(value).lower() for value in values]
