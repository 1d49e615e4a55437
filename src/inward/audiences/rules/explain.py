"""Why one person is in or out of an audience: each clause, true or false, from SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Value, When

from inward.audiences.rules.ast import And, Node, Not, Or, leaves, names_field
from inward.audiences.rules.compiler import CompileContext
from inward.audiences.rules.printer import node_text
from inward.directory.models import Person, Status


@dataclass
class Explanation:
    """One clause of the rule and whether it held for the person.

    On the root, ``matched`` is the final answer (membership) and ``note`` says when the
    person is out only because they are not active.
    """

    text: str
    matched: bool
    children: list[Explanation] = field(default_factory=list)
    note: str = ""


def explain(node: Node, *, person: Person, context: CompileContext) -> Explanation:
    """Evaluates every comparison and call for ``person`` in one query, then the tree."""
    results = iter(_leaf_results(node, person=person, context=context))
    root = _build(node, results)
    if not names_field(node, "status") and person.status != Status.ACTIVE:
        root.matched = False
        root.note = (
            f"{person.email} is {Status(person.status).label.lower()}; a rule that does not "
            "mention status only matches active people."
        )
    return root


def _leaf_results(node: Node, *, person: Person, context: CompileContext) -> list[bool]:
    annotations = {
        f"clause_{index}": Case(
            When(context.node_q(leaf), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        for index, leaf in enumerate(leaves(node))
    }
    row = Person.objects.filter(pk=person.pk).annotate(**annotations).values(*annotations).get()
    return [bool(row[name]) for name in annotations]


def _build(node: Node, results: Iterator[bool]) -> Explanation:
    if isinstance(node, Not):
        child = _build(node.item, results)
        return Explanation(node_text(node), not child.matched, [child])
    if isinstance(node, And | Or):
        children = [_build(item, results) for item in node.items]
        combine = all if isinstance(node, And) else any
        return Explanation(node_text(node), combine(c.matched for c in children), children)
    return Explanation(node_text(node), next(results))
