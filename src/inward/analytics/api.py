"""The analytics API: ``GET /api/v1/campaigns/{slug}/funnel``.

Answers the same JSON as ``inward campaign funnel SLUG --json`` (``export.report_data``),
cut at the caller's minimum group size (exact numbers for admins).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from inward.analytics.access import access_campaign_analytics, analytics_minimum
from inward.analytics.export import report_data
from inward.analytics.models import AttributionModel
from inward.analytics.selectors import ALL_DIMENSIONS, funnel_report
from inward.api import ApiError

router = Router(tags=["analytics"])


class FunnelQuery(Schema):
    model: str = AttributionModel.LAST
    breakdown: list[str] | None = None


@router.get("/{slug}/funnel", response=dict[str, Any])
def campaign_funnel(request: HttpRequest, slug: str, query: Query[FunnelQuery]) -> dict[str, Any]:
    """The campaign's funnel by stage, breakdowns, days, attributed learning and A/B
    comparisons. ``model`` (first, last, linear) comes first in ``learning``;
    ``breakdown`` (repeatable) limits the breakdowns. Hidden counts are null."""
    campaign = access_campaign_analytics(request.user, slug)
    if query.model not in AttributionModel.values:
        raise ApiError(400, "invalid_model", "model must be first, last or linear.")
    wanted = query.breakdown or list(ALL_DIMENSIONS)
    unknown = sorted(set(wanted) - set(ALL_DIMENSIONS))
    if unknown:
        raise ApiError(400, "invalid_breakdown", f"Unknown breakdown: {', '.join(unknown)}.")
    report = funnel_report(
        campaign, minimum=analytics_minimum(request.user), model=query.model, breakdowns=wanted
    )
    return report_data(report)
