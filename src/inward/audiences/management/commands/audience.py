from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inward.audiences.rules import RuleError, rule_from_json, rule_to_text
from inward.audiences.rules.explain import Explanation
from inward.audiences.selectors import audience_by_slug, audience_list, rule_count, rule_explain
from inward.directory.selectors import person_by_email

SYNTAX_EXIT = 2


def rule_error_text(rule: str, error: RuleError) -> str:
    """The error, then the rule's line with a caret under the column."""
    if error.line is None or error.column is None:
        return str(error)
    line = rule.splitlines()[error.line - 1] if rule.strip() else ""
    return f"{error}\n  {line}\n  {' ' * (error.column - 1)}^"


def explanation_lines(explanation: Explanation, depth: int = 0) -> list[str]:
    mark = "yes" if explanation.matched else "no "
    lines = [f"{'  ' * depth}[{mark}] {explanation.text}"]
    for child in explanation.children:
        lines += explanation_lines(child, depth + 1)
    return lines


class Command(BaseCommand):
    help = (
        "Audiences from the console: `inward audience count RULE`, `inward audience list`, "
        "`inward audience explain RULE_OR_SLUG --person EMAIL`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        count = sub.add_parser("count", help="Print how many people a rule picks.")
        count.add_argument("rule", help="A rule, e.g. 'site = \"Leeuwarden\"'.")
        count.add_argument("--json", action="store_true", help="RULE is in the JSON form.")
        sub.add_parser("list", help="Saved audiences: slug, name, count.")
        explain = sub.add_parser("explain", help="Why one person is in or out.")
        explain.add_argument("rule", metavar="RULE_OR_SLUG")
        explain.add_argument("--person", required=True, help="The person's e-mail address.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"handle_{options['action']}")
        handler(**options)

    def handle_count(self, *, rule: str, json: bool, **options: Any) -> None:
        text = self._json_rule(rule) if json else rule
        self.stdout.write(str(self._checked(text, lambda: rule_count(rule=text))))

    def handle_list(self, **options: Any) -> None:
        for audience in audience_list():
            try:
                count = str(rule_count(rule=audience.rule))
            except RuleError as error:
                count = f"error: {error}"
            self.stdout.write(f"{audience.slug}\t{audience.name}\t{count}")

    def handle_explain(self, *, rule: str, person: str, **options: Any) -> None:
        audience = audience_by_slug(slug=rule)
        text = audience.rule if audience is not None else rule
        someone = person_by_email(email=person)
        if someone is None:
            raise CommandError(f"No one in the directory has the address {person}.")
        explanation = self._checked(text, lambda: rule_explain(rule=text, person=someone))
        self.stdout.write("\n".join(explanation_lines(explanation)))
        if explanation.note:
            self.stdout.write(explanation.note)
        self.stdout.write("in the audience" if explanation.matched else "not in the audience")

    def _json_rule(self, raw: str) -> str:
        try:
            return rule_to_text(rule_from_json(json.loads(raw)))
        except json.JSONDecodeError as error:
            raise CommandError(f"not JSON: {error}", returncode=SYNTAX_EXIT) from None
        except RuleError as error:
            raise CommandError(str(error), returncode=SYNTAX_EXIT) from None

    def _checked[T](self, rule: str, run: Callable[[], T]) -> T:
        try:
            return run()
        except RuleError as error:
            raise CommandError(rule_error_text(rule, error), returncode=SYNTAX_EXIT) from None
