"""Random people, random rules: the compiled SQL must pick who the reference evaluator picks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.audiences.models import Audience
from inward.audiences.rules import parse_rule, rule_from_json, rule_to_json, rule_to_text
from inward.audiences.rules.ast import And, Call, Compare, Duration, Node, Not, Or
from inward.audiences.rules.fields import OPERATORS_BY_KIND, Kind
from inward.audiences.rules.reference import World
from inward.audiences.selectors import rule_people
from inward.audiences.tests.conftest import TODAY, department_tree, sites
from inward.directory.models import Person, tags_to_column

EMAILS = [f"p{n}@example.com" for n in range(4)] + ["P1@EXAMPLE.COM", "nobody@example.com"]
TEXTS = ["anna", "ANNA", "", "eng", "Sales Engineer", "nl", "e1", "4100", "an"]
DATES = [TODAY, TODAY - timedelta(days=90), TODAY - timedelta(days=91), date(2025, 3, 15)]
DATES += [date(2024, 6, 15), date(2024, 2, 29), TODAY + timedelta(days=3)]
VALUES_BY_KIND: dict[Kind, list[Any]] = {
    Kind.TEXT: TEXTS,
    Kind.ATTR: [*TEXTS, 4100, "4200"],
    Kind.SITE: ["Leeuwarden", "leeuwarden", "Amsterdam", "", "leeu"],
    Kind.MANAGER: [*EMAILS, "", "p"],
    Kind.DEPARTMENT: ["Sales", "sales/inside sales", "Support", "EMEA", "Inside Sales", "X"],
    Kind.LANGUAGE: ["nl", "NL", "nl-nl", "fy", "en", "", "n"],
    Kind.STATUS: ["active", "on_leave", "left"],
    Kind.TAGS: ["remote", "REMOTE", "new", " mentor ", "x"],
    Kind.DATE: [d.isoformat() for d in DATES],
    Kind.TENURE: [Duration(n, u) for n, u in [(90, "d"), (13, "w"), (3, "m"), (1, "y"), (0, "d")]],
}
FIELDS_BY_KIND = {
    Kind.TEXT: ["first_name", "job_title", "external_id", "email", "country"],
    Kind.ATTR: ["attr.cost_center", "attr.level", "attr.missing"],
    **{kind: [kind.value] for kind in (Kind.SITE, Kind.MANAGER, Kind.DEPARTMENT)},
    **{kind: [kind.value] for kind in (Kind.LANGUAGE, Kind.STATUS, Kind.TAGS)},
    Kind.DATE: ["hire_date"],
    Kind.TENURE: ["tenure"],
}
SAVED = {"sales": 'department = "Sales"', "leavers": 'status = "left"'}


@st.composite
def comparisons(draw: st.DrawFn) -> Compare:
    kind = draw(st.sampled_from(list(FIELDS_BY_KIND)))
    field = draw(st.sampled_from(FIELDS_BY_KIND[kind]))
    op = draw(st.sampled_from(OPERATORS_BY_KIND[kind]))
    values = st.sampled_from(VALUES_BY_KIND[kind])
    if op in ("is empty", "is not empty"):
        return Compare(field, op, None)
    if op in ("in", "not in"):
        return Compare(field, op, tuple(draw(st.lists(values, min_size=1, max_size=3))))
    return Compare(field, op, draw(values))


calls = st.one_of(
    st.builds(
        lambda name, email: Call(name, (email,)),
        st.sampled_from(["reports_to", "reports_directly_to"]),
        st.sampled_from(EMAILS),
    ),
    st.sampled_from(list(SAVED)).map(lambda slug: Call("in_audience", (slug,))),
)


def _groups(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    items = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(items.map(And), items.map(Or), children.map(Not))


rules = st.recursive(st.one_of(comparisons(), calls), _groups, max_leaves=6)


@st.composite
def people(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=8))
    return [draw(_person(n, count)) for n in range(count)]


def _person(n: int, count: int) -> st.SearchStrategy[dict[str, Any]]:
    maybe = st.one_of
    return st.fixed_dictionaries(
        {
            "email": st.just(f"p{n}@example.com"),
            "first_name": st.sampled_from(["Anna", "anna", "Bob", ""]),
            "job_title": st.sampled_from(["Sales Engineer", "Engineer", ""]),
            "external_id": st.sampled_from([None, f"e{n}", f"E{n}"]),
            "country": st.sampled_from(["NL", "", "de"]),
            "language": st.sampled_from(["", "nl", "nl-NL", "fy", "en-GB", "NL-be", "nlx"]),
            "status": st.sampled_from(["active", "active", "on_leave", "left"]),
            "hire_date": maybe(st.none(), st.sampled_from(DATES)),
            "department": maybe(st.none(), st.sampled_from(["Sales", "Sales/Inside Sales"])),
            "site": maybe(st.none(), st.sampled_from(["Leeuwarden", "Amsterdam"])),
            "manager": maybe(st.none(), st.integers(min_value=0, max_value=count - 1)),
            "tags": st.lists(st.sampled_from(["remote", "new", "mentor"]), max_size=2),
            "attributes": st.dictionaries(
                st.sampled_from(["cost_center", "level"]),
                st.sampled_from(["4100", "4200", 4100, "ANNA", ""]),
                max_size=2,
            ),
        }
    )


def _save(rows: list[dict[str, Any]]) -> None:
    departments, places = department_tree(), sites()
    made = []
    for row in rows:
        fields = {**row, "tags": tags_to_column(row["tags"])}
        fields["department"] = departments.get(row["department"] or "")
        fields["site"] = places.get(row["site"] or "")
        fields.pop("manager")
        made.append(Person.objects.create(**fields))
    for person, row in zip(made, rows, strict=True):
        if row["manager"] is not None:
            Person.objects.filter(pk=person.pk).update(manager=made[row["manager"]])
    for slug, text in SAVED.items():
        Audience.objects.create(slug=slug, name=slug, rule=text)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=people(), rule=rules)
def test_it_picks_the_same_people_as_the_reference(db: None, rows: list[Any], rule: Node) -> None:
    text = rule_to_text(rule)
    assert parse_rule(text) == rule
    assert rule_from_json(rule_to_json(rule)) == rule
    savepoint = transaction.savepoint_create()
    try:
        _save(rows)
        world = World.load(today=TODAY, audiences={s: parse_rule(t) for s, t in SAVED.items()})
        compiled = set(rule_people(rule=text, today=TODAY).values_list("pk", flat=True))
        assert compiled == world.members(rule), text
    finally:
        transaction.savepoint_rollback(savepoint)
