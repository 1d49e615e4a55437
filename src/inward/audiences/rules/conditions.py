"""Rules used outside saved audiences: a touch's condition (``only if``), which saved rules
name a campaign or an offering (so an offering in use is not deleted from under them), and
whether a rule reads what people did (for privacy: see ``rule_uses_behaviour``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from inward.audiences.rules import parse_rule, rule_to_text
from inward.audiences.rules.ast import Call, Node, leaves
from inward.audiences.rules.errors import RuleError
from inward.audiences.rules.functions import (
    BEHAVIOUR_KINDS,
    CAMPAIGN_FUNCTIONS,
    OFFERING_FUNCTIONS,
)


def condition_rule_clean(text: str) -> str:
    """The canonical text of a touch's condition rule, "" for none.

    Parses it and compiles it now, so an unknown campaign, offering or audience is an
    error at save time (a RuleError with the line and column), not at send time.
    """
    from inward.audiences.selectors import rule_context

    if not text.strip():
        return ""
    node = parse_rule(text)
    rule_context().node_q(node)
    return rule_to_text(node)


@dataclass(frozen=True)
class RuleUse:
    """A saved rule that names a campaign or offering: ``kind`` is "audience" (``label``
    the audience's name) or "touch" (``label`` "campaign — touch")."""

    kind: str
    label: str


def rules_naming_offering(slug: str) -> list[RuleUse]:
    """Saved audiences and touch conditions whose rules call ``enrolled``/``completed``
    with this offering's slug."""
    return _rules_naming(OFFERING_FUNCTIONS, slug)


def rules_naming_campaign(slug: str) -> list[RuleUse]:
    """Saved audiences and touch conditions whose rules call ``opened``/``clicked`` with
    this campaign's slug."""
    return _rules_naming(CAMPAIGN_FUNCTIONS, slug)


def _rules_naming(functions: tuple[str, ...], slug: str) -> list[RuleUse]:
    from inward.audiences.models import Audience
    from inward.campaigns.models import Touch

    found: list[RuleUse] = []
    # The slug appears in the text of every rule that names it: read only those.
    for audience in Audience.objects.filter(rule__contains=slug).only("name", "rule"):
        if _names(audience.rule, functions, slug):
            found.append(RuleUse("audience", audience.name))
    touches = Touch.objects.filter(condition_rule__contains=slug).select_related("campaign")
    for touch in touches.only("name", "condition_rule", "campaign__name"):
        if _names(touch.condition_rule, functions, slug):
            found.append(RuleUse("touch", f"{touch.campaign.name} — {touch.name}"))
    return found


def _names(text: str, functions: tuple[str, ...], slug: str) -> bool:
    try:
        calls = [leaf for leaf in leaves(parse_rule(text)) if isinstance(leaf, Call)]
    except RuleError:
        return False
    return any(call.name in functions and call.args[:1] == (slug,) for call in calls)


def rule_uses_behaviour(
    rule: Node | str, *, audience_rules: Mapping[str, str] | None = None
) -> bool:
    """Whether a rule reads engagement (``opened``, ``clicked``, ``enrolled``,
    ``completed``), itself or through the saved audiences it names.

    Who is in such an audience, and why, is person-level engagement: only admins (and the
    person) may see it, and its counts are group sizes (small ones hidden). A rule that
    does not parse counts as using behaviour (the safe answer). ``audience_rules`` (slug
    to rule, from ``saved_audience_rules``) saves a query per named audience in a list.
    """
    from inward.audiences.selectors import audience_rule_text

    seen: set[str] = set()
    pending: list[Node | str] = [rule]
    while pending:
        item = pending.pop()
        try:
            node = parse_rule(item) if isinstance(item, str) else item
        except RuleError:
            return True
        for leaf in leaves(node):
            if not isinstance(leaf, Call):
                continue
            if leaf.name in BEHAVIOUR_KINDS:
                return True
            slug = str(leaf.args[0]) if leaf.args else ""
            if leaf.name == "in_audience" and slug not in seen:
                seen.add(slug)
                text = (
                    audience_rules.get(slug)
                    if audience_rules is not None
                    else audience_rule_text(slug)
                )
                if text is not None:
                    pending.append(text)
    return False
