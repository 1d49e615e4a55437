"""Property tests: funnels never grow from one stage to the next, and no report shows a
group under the minimum or lets a hidden one be worked out by subtraction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.analytics.breakdowns import Group, partition_rows
from inward.analytics.models import EventKind
from inward.analytics.report_types import FunnelReport
from inward.analytics.selectors import funnel_report
from inward.analytics.suppression import shown_in_row
from inward.analytics.tests.funnel_fixtures import credit, deliveries, funnel_rows
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch

minimums = st.integers(min_value=2, max_value=8)
# A group: how many people stopped at each stage (audience .. advocated).
stops = st.lists(st.integers(min_value=0, max_value=12), min_size=6, max_size=6)


def cumulative(stopped: Sequence[int]) -> list[int]:
    return [sum(stopped[k:]) for k in range(6)]


def small(n: float | None, minimum: int) -> bool:
    return n is not None and 0 < n < minimum


def bounds(counts: Sequence[int | None], k: int) -> tuple[float, float]:
    upper = next((c for c in reversed(counts[:k]) if c is not None), math.inf)
    lower = next((c for c in counts[k + 1 :] if c is not None), 0)
    return float(lower), float(upper)


def assert_row_safe(counts: Sequence[int | None], minimum: int) -> None:
    shown = [c for c in counts if c is not None]
    assert shown == sorted(shown, reverse=True), counts  # never grows stage to stage
    assert not any(small(c, minimum) for c in counts), counts
    for a in shown:
        for b in shown:
            assert not small(abs(a - b), minimum), counts  # a difference is a group too
    for k, c in enumerate(counts):
        if c is None:
            lower, upper = bounds(counts, k)
            assert lower < upper, counts  # its neighbours do not pin it


def assert_column_safe(
    rows: Sequence[Sequence[int | None]], exact: Sequence[Sequence[int]], total: int, k: int,
    minimum: int,
) -> None:  # fmt: skip
    hidden = [i for i, row in enumerate(rows) if row[k] is None]
    if not hidden:
        return
    rest = total - sum(row[k] or 0 for row in rows)
    assert rest == sum(exact[i][k] for i in hidden)
    assert len(hidden) >= 2, (rows, total, k)  # total minus the shown rows
    assert not small(rest, minimum), (rows, total, k)
    for i in hidden:
        others = [bounds(rows[j], k) for j in hidden if j != i]
        low, high = bounds(rows[i], k)
        low = max(low, rest - sum(u for _l, u in others))
        high = min(high, rest - sum(lo for lo, _u in others))
        assert low < high, (rows, total, k, i)


def assert_hidden_total_safe(
    rows: Sequence[Sequence[int | None]], total_row: Sequence[int | None], k: int
) -> None:
    """A hidden total is not the sum of the rows, nor pinned by them and its neighbours."""
    hidden = [i for i, row in enumerate(rows) if row[k] is None]
    assert hidden, (rows, total_row, k)  # all shown: the total is their sum
    known = sum(row[k] or 0 for row in rows)
    low = sum(bounds(rows[i], k)[0] for i in hidden) + known
    high = sum(bounds(rows[i], k)[1] for i in hidden) + known
    total_low, total_high = bounds(total_row, k)
    assert max(low, total_low) < min(high, total_high), (rows, total_row, k)


@given(groups=st.lists(stops, min_size=1, max_size=7), minimum=minimums)
@settings(max_examples=400, deadline=None)
def test_a_split_breakdown_never_leaks_a_small_group(groups: list[list[int]], minimum: int) -> None:
    made = [Group(str(i), f"g{i}", cumulative(g)) for i, g in enumerate(groups)]
    total = [sum(g.counts[k] for g in made) for k in range(6)]
    total_shown = shown_in_row(total, minimum=minimum)
    rows = partition_rows(made, total, total_shown, minimum=minimum)
    total_row = [t if ok else None for t, ok in zip(total, total_shown, strict=True)]
    assert_row_safe(total_row, minimum)
    exact = {g.key: g.counts for g in made}
    folded = [g.counts for g in made if g.key not in {r.key for r in rows}]
    exact["other"] = [sum(c[k] for c in folded) for k in range(6)]
    for row in rows:
        assert_row_safe(row.counts, minimum)
        assert all(c is None or c == e for c, e in zip(row.counts, exact[row.key], strict=True))
    if rows:
        assert rows[-1].key != "other" or rows[-1].counts[0] is not None
        assert sum(r.counts[0] or 0 for r in rows) == total[0]
    for k in range(6):
        if total_row[k] is not None and rows:
            assert_column_safe(
                [r.counts for r in rows], [exact[r.key] for r in rows], total[k], k, minimum
            )
        elif rows:
            assert_hidden_total_safe([r.counts for r in rows], total_row, k)


def assert_report_safe(report: FunnelReport, minimum: int) -> None:
    assert_row_safe(report.total.counts, minimum)
    for breakdown in report.breakdowns:
        for row in breakdown.rows:
            assert_row_safe(row.counts, minimum)
    previous: list[int | None] = [None] * 6
    for point in report.over_time:
        assert not any(small(c, minimum) for c in point.counts)
        for k, c in enumerate(point.counts):
            if c is not None and previous[k] is not None:
                assert not small(c - previous[k], minimum)  # a day's increase is a group
            previous[k] = c if c is not None else previous[k]
    for item in report.learning:
        values = [item.enrolled, item.completed]
        values += [n for _name, a, c in item.by_touch for n in (a, c)]
        assert not any(small(v, minimum) for v in values), item
    for comparison in report.variants:
        for variant in comparison.variants:
            assert not small(variant.reached, minimum)
            assert not small(variant.engaged, minimum)
            if variant.engaged is None:
                assert variant.rate is None and comparison.p_value is None


@pytest.mark.django_db
@given(
    sales=st.lists(st.integers(0, 5), max_size=14),
    support=st.lists(st.integers(0, 5), max_size=8),
    hr=st.lists(st.integers(0, 5), max_size=4),
    credited=st.integers(0, 6),
    minimum=minimums,
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_whole_report_never_leaks_a_small_group(
    sales: list[int], support: list[int], hr: list[int], credited: int, minimum: int
) -> None:
    with transaction.atomic():
        report, exact = build_report(sales, support, hr, credited, minimum)
        transaction.set_rollback(True)
    assert_report_safe(report, minimum)
    assert exact.total.counts == [
        sum(1 for s in [*sales, *support, *hr] if s >= k) for k in range(6)
    ]
    assert_report_safe(exact, 1)
    touch = next(b for b in exact.breakdowns if b.dimension == "touch")
    assert [row.counts for row in touch.rows] == (
        [touch_row([sales, support, hr])] if touch.rows else []
    )
    assert touch.note
    for breakdown in report.breakdowns:
        if breakdown.dimension == "touch":
            for row, true in zip(breakdown.rows, touch.rows, strict=True):
                assert all(
                    c is None or c == t for c, t in zip(row.counts, true.counts, strict=True)
                )


def opens_touch(index: int, stage: int) -> bool:
    return stage >= 2 and index % 3 != 0


def touch_row(groups: Sequence[list[int]]) -> list[int]:
    """The touch's own funnel: everyone reached got it; engaged = opened it; further
    stages = of those who opened it, how far they went in the campaign."""
    reached = [s for stages in groups for s in stages if s >= 1]
    engaged = [
        s for stages in groups for i, s in enumerate(x for x in stages if x >= 1)
        if opens_touch(i, s)
    ]  # fmt: skip
    return [len(reached), len(reached), *(sum(1 for s in engaged if s >= k) for k in range(2, 6))]


def build_report(
    sales: list[int], support: list[int], hr: list[int], credited: int, minimum: int
) -> tuple[FunnelReport, FunnelReport]:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Mail")
    people: list[Any] = []
    for name, stages in (("Sales", sales), ("Support", support), ("HR", hr)):
        group = make_people(len(stages), department=name)
        funnel_rows(campaign, group, stages)
        reached = [(p, s) for p, s in zip(group, stages, strict=True) if s >= 1]
        # Not everyone who engaged with the campaign opened this touch.
        opened = [opens_touch(i, s) for i, (_p, s) in enumerate(reached)]
        deliveries(touch, [p for p, _s in reached], opened=opened)
        people += group
    for person in people[:credited]:
        credit(campaign, touch, person, EventKind.ENROLLED)
    return funnel_report(campaign, minimum=minimum), funnel_report(campaign, minimum=1)
