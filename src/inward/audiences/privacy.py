"""Who may see the people a rule picks when the rule reads what people did.

A rule that uses behaviour (``opened``, ``clicked``, ``enrolled``, ``completed``, directly
or through ``in_audience``) picks people by their engagement, and person-level engagement
is for admins and the person only. So for anyone else such a rule shows no sample of
members, no per-person explanation, and no count smaller than ``INWARD_MIN_GROUP_SIZE``:
"fewer than 5" instead. Zero is hidden too: "0" next to "fewer than 5" for a rule that
names one person (``opened("x") and email = "…"``) says whether that person opened.
Breakdowns are folded the same way for everyone (``lib.privacy.fold_small_groups``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from inward.accounts.access import AnyUser, is_admin
from inward.audiences.rules.conditions import rule_uses_behaviour


@dataclass(frozen=True)
class RuleView:
    """What ``user`` may see of the people a rule picks.

    ``private``: the rule uses behaviour and the viewer is not an admin; then there is
    no sample and no explanation, and counts under ``minimum`` are hidden.
    """

    private: bool
    minimum: int

    def count(self, n: int) -> int | None:
        """``n``, or None when it must be shown as "fewer than ``minimum``"."""
        if self.private and n < self.minimum:
            return None
        return n


def rule_view(
    user: AnyUser, rule: str, *, audience_rules: Mapping[str, str] | None = None
) -> RuleView:
    """How much of ``rule``'s matches ``user`` may see (see the module docstring)."""
    minimum: int = settings.INWARD_MIN_GROUP_SIZE
    private = (
        not is_admin(user)
        and bool(rule.strip())
        and rule_uses_behaviour(rule, audience_rules=audience_rules)
    )
    return RuleView(private=private, minimum=minimum)
