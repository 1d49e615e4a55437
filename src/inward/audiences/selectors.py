"""Reads for audiences: who a rule picks, how many, how they split, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from inward.audiences.models import Audience
from inward.audiences.rules import RuleError, parse_rule
from inward.audiences.rules.ast import Node
from inward.audiences.rules.compiler import CompileContext
from inward.audiences.rules.explain import Explanation, explain
from inward.directory.models import Person

NO_VALUE = "—"
BREAKDOWNS = {"department": "department__path", "site": "site__name", "language": "language"}


def audience_rule_text(slug: str) -> str | None:
    """The stored rule of a saved audience, for ``in_audience("slug")``."""
    return Audience.objects.filter(slug=slug).values_list("rule", flat=True).first()


def saved_audience_rules() -> dict[str, str]:
    """Every saved audience's rule by slug: one query for a list of rows that each may
    name other audiences."""
    return dict(Audience.objects.values_list("slug", "rule"))


def rule_context(*, today: date | None = None, slug: str | None = None) -> CompileContext:
    """A compile context; ``slug`` is the audience the rule belongs to, to catch cycles."""
    return CompileContext(
        today=today or timezone.localdate(),
        audience_rules=audience_rule_text,
        stack=(slug,) if slug else (),
    )


def rule_node_people(*, node: Node, context: CompileContext) -> QuerySet[Person]:
    return Person.objects.filter(context.rule_q(node))


def rule_people(*, rule: str, today: date | None = None) -> QuerySet[Person]:
    """Everyone the rule picks, as one query. Raises RuleSyntaxError or RuleError."""
    return rule_node_people(node=parse_rule(rule), context=rule_context(today=today))


def rule_count(*, rule: str) -> int:
    """How many people the rule picks now: one COUNT query (plus one lookup per
    ``in_audience`` audience)."""
    return rule_people(rule=rule).count()


def rules_count(*, rules: Sequence[str]) -> list[int | None]:
    """How many people each rule picks, in one scan of the directory (``None`` for a rule
    that no longer works). For lists, where a COUNT per rule would scan once per row."""
    context = rule_context()
    filters: dict[str, Q] = {}
    for index, rule in enumerate(rules):
        try:
            filters[f"r{index}"] = context.rule_q(parse_rule(rule))
        except RuleError:
            continue
    if not filters:
        return [None] * len(rules)
    counts = Person.objects.aggregate(**{k: Count("pk", filter=q) for k, q in filters.items()})
    return [counts.get(f"r{index}") for index in range(len(rules))]


def rule_breakdown(*, rule: str) -> dict[str, list[tuple[str, int]]]:
    """Counts by department, site and language, largest first; "—" for none."""
    people = rule_people(rule=rule).order_by()
    return {key: _breakdown(people, column) for key, column in BREAKDOWNS.items()}


def _breakdown(people: QuerySet[Person], column: str) -> list[tuple[str, int]]:
    rows = people.values(label=F(column)).annotate(n=Count("pk"))
    counts = [(row["label"] or "", row["n"]) for row in rows]
    # Sorted here: databases disagree on where NULL goes; "none" comes last among equals.
    counts.sort(key=lambda pair: (-pair[1], pair[0] == "", pair[0]))
    return [(label or NO_VALUE, n) for label, n in counts]


def rule_sample(*, rule: str, size: int = 10) -> list[Person]:
    """A random handful of the people the rule picks."""
    people = rule_people(rule=rule).select_related("department", "site")
    return list(people.order_by("?")[:size])


def rule_explain(*, rule: str, person: Person) -> Explanation:
    """Which clauses held for ``person``; the root's ``matched`` is membership."""
    return explain(parse_rule(rule), person=person, context=rule_context())


def audience_by_slug(*, slug: str) -> Audience | None:
    return Audience.objects.filter(slug=slug).first()


def audience_list() -> QuerySet[Audience]:
    return Audience.objects.all()


def audience_count(*, audience: Audience) -> int:
    return rule_count(rule=audience.rule)


def audience_users(*, slug: str) -> list[str]:
    """Slugs of saved audiences whose rules call ``in_audience(slug)``."""
    from inward.audiences.rules.ast import Call, leaves

    users = []
    for other in Audience.objects.exclude(slug=slug).only("slug", "rule"):
        calls = [leaf for leaf in leaves(parse_rule(other.rule)) if isinstance(leaf, Call)]
        if any(c.name == "in_audience" and c.args == (slug,) for c in calls):
            users.append(other.slug)
    return users
