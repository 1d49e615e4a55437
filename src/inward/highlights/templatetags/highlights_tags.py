"""``{% cadence_warning %}``: the home page's warning about stakeholders who have heard
nothing for longer than their cadence. Shows nothing to people who may not read
stakeholders, and nothing when nobody is overdue."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from inward.highlights.access import can_edit_highlights, can_read_highlights
from inward.highlights.selectors import overdue_stakeholders

register = template.Library()

SHOWN = 5  # named on the home page; the rest are "and N more"


@register.inclusion_tag("highlights/_cadence_warning.html", takes_context=True)
def cadence_warning(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_read_highlights(user):
        return {"overdue": [], "shown": [], "more": 0}
    overdue = overdue_stakeholders(timezone.now())
    return {
        "overdue": overdue,
        "shown": overdue[:SHOWN],
        "more": max(0, len(overdue) - SHOWN),
        # Only editors may compose a digest: the link preselects every overdue stakeholder.
        "can_edit": can_edit_highlights(user),
    }
