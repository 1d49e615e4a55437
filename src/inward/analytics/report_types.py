"""What a campaign's analytics report holds: the one shape the page, the CSV export, the
printable report, the PDF, the API and ``inward campaign funnel --json`` are built from,
so they always show the same numbers.

A count is ``None`` where it is hidden: a group smaller than the viewer's minimum group
size (``INWARD_MIN_GROUP_SIZE``; admins see everything), or a count that would give such a
group away by subtraction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Count = int | None


@dataclass(frozen=True)
class StageInfo:
    value: int  # FunnelStage value, 0 = audience
    key: str  # "audience", "reached", "engaged", "acted", "completed", "advocated"
    label: str  # translated


@dataclass(frozen=True)
class FunnelRow:
    """One group's funnel: ``counts[i]`` is the number of people at stage ``i`` or
    further. ``key`` is "" for everyone, "other" for small groups folded together,
    otherwise the group's id or code."""

    key: str
    label: str
    counts: list[Count]


@dataclass(frozen=True)
class Breakdown:
    dimension: str  # touch, stage, channel, language, persona, department, site
    label: str  # translated name of the dimension
    rows: list[FunnelRow]
    # One translated sentence on what the rows count, shown under the breakdown; "" when
    # the rows need none (language, persona, department and site split the recipients).
    note: str = ""


@dataclass(frozen=True)
class TimePoint:
    day: dt.date
    counts: list[Count]  # cumulative by the end of ``day``, per stage (audience left out: None)
    # Per stage, the last count shown on this day or before (the count itself when shown):
    # a hidden day's count is at least this, as counts only grow. None before any is shown.
    at_least: list[Count] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[Count, Count]]:
        """(count, at least) per stage, for a table that shows a hidden day as "at least
        N"."""
        floors = self.at_least or [None] * len(self.counts)
        return list(zip(self.counts, floors, strict=True))


@dataclass(frozen=True)
class AttributedLearning:
    model: str  # "first", "last", "linear"
    enrolled: float | None  # credited enrolments (enrolled, started); None when hidden
    completed: float | None  # credited completions (completed, passed); None when hidden
    by_touch: list[tuple[str, float | None, float | None]]  # touch name, enrolled, completed


@dataclass(frozen=True)
class VariantResult:
    key: str
    label: str
    reached: Count
    engaged: Count
    rate: float | None  # engaged / reached, None when hidden or nothing reached

    @property
    def rate_percent(self) -> float | None:
        """The rate in percent, for templates (``floatformat:0`` rounds halves up, as the
        CSV and the PDF do)."""
        return None if self.rate is None else self.rate * 100


@dataclass(frozen=True)
class VariantComparison:
    touch_id: int
    touch_name: str
    metric: str  # "engaged"
    variants: list[VariantResult]
    p_value: float | None  # two-sided two-proportion z-test (or chi-squared over >2)
    significant: bool
    verdict: str  # a plain-language sentence, translated


@dataclass(frozen=True)
class FunnelReport:
    campaign_id: int
    campaign_slug: str
    campaign_name: str
    generated_at: dt.datetime
    minimum_group_size: int  # what the viewer's numbers were cut at (1 for admins)
    attribution_window_days: int
    stages: list[StageInfo]
    total: FunnelRow
    breakdowns: list[Breakdown] = field(default_factory=list)
    over_time: list[TimePoint] = field(default_factory=list)
    learning: list[AttributedLearning] = field(default_factory=list)
    variants: list[VariantComparison] = field(default_factory=list)
