"""Hand-made ``FunnelReport`` values for rendering tests: the pages, the report and the PDF
are checked against numbers the test chose, independent of how the selectors count."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from inward.analytics.report_types import (
    AttributedLearning,
    Breakdown,
    Count,
    FunnelReport,
    FunnelRow,
    StageInfo,
    TimePoint,
    VariantComparison,
    VariantResult,
)

STAGES = [
    StageInfo(0, "audience", "Audience"),
    StageInfo(1, "reached", "Reached"),
    StageInfo(2, "engaged", "Engaged"),
    StageInfo(3, "acted", "Acted"),
    StageInfo(4, "completed", "Completed"),
    StageInfo(5, "advocated", "Advocated"),
]


def row(key: str, label: str, *counts: Count) -> FunnelRow:
    return FunnelRow(key=key, label=label, counts=list(counts))


def sample_report(
    *,
    name: str = "Leading at Acme",
    slug: str = "leading-at-acme",
    campaign_id: int = 1,
    minimum: int = 5,
    hidden: bool = True,
    empty: bool = False,
) -> FunnelReport:
    """A finished campaign's report; with ``hidden`` some counts are under the minimum."""
    small: Count = None if hidden else 3
    tiny: Count = None if hidden else 2
    four: Count = None if hidden else 4
    if empty:
        return FunnelReport(
            campaign_id=campaign_id,
            campaign_slug=slug,
            campaign_name=name,
            generated_at=timezone.now(),
            minimum_group_size=minimum,
            attribution_window_days=30,
            stages=STAGES,
            total=row("", "Everyone", 0, 0, 0, 0, 0, 0),
        )
    start = dt.date(2026, 9, 1)
    return FunnelReport(
        campaign_id=campaign_id,
        campaign_slug=slug,
        campaign_name=name,
        generated_at=timezone.now(),
        minimum_group_size=minimum,
        attribution_window_days=30,
        stages=STAGES,
        total=row("", "Everyone", 240, 230, 151, 47, 29, small),
        breakdowns=[
            Breakdown(
                "department",
                "Department",
                [
                    row("7", "Sales", 120, 118, 80, 30, 20, small),
                    row("8", "Support", 90, 85, 55, 12, 7, tiny),
                    row("other", "Other", 30, 27, 16, 5, four, tiny),
                ],
            ),
            Breakdown(
                "channel",
                "Channel",
                [row("1", "Company e-mail", 240, 230, 140, 45, 28, small)],
            ),
            Breakdown(
                "touch",
                "Touch",
                [
                    row("11", "Welcome", 240, 230, 120, 40, 25, small),
                    row("12", "Reminder", 110, 104, 61, 9, 6, tiny),
                ],
            ),
            Breakdown(
                "language",
                "Language",
                [
                    row("nl", "Nederlands", 140, 135, 90, 30, 20, small),
                    row("fy", "Frysk", 100, 95, 61, 17, 9, tiny),
                ],
            ),
        ],
        over_time=[
            TimePoint(
                start + dt.timedelta(days=i),
                [None, 80 * (i + 1), 50 * (i + 1), 15 * (i + 1), 9 * (i + 1), small],
            )
            for i in range(3)
        ],
        learning=[
            AttributedLearning(
                "first", 47.0, 29.0, [("Welcome", 40.0, 25.0), ("Reminder", 7.0, 4.0)]
            ),
            AttributedLearning(
                "last", 47.0, 29.0, [("Welcome", 30.0, 20.0), ("Reminder", 17.0, 9.0)]
            ),
            AttributedLearning(
                "linear", 47.0, 29.0, [("Welcome", 35.5, 22.5), ("Reminder", 11.5, 6.5)]
            ),
        ],
        variants=[
            VariantComparison(
                touch_id=11,
                touch_name="Welcome",
                metric="engaged",
                variants=[
                    VariantResult("a", "Subject A", 115, 70, 70 / 115),
                    VariantResult("b", "Subject B", 115, 50, 50 / 115),
                ],
                p_value=0.008,
                significant=True,
                verdict=(
                    "Subject A engaged more people than Subject B (61% against 43%); "
                    "a difference this large is unlikely to be chance."
                ),
            )
        ],
    )
