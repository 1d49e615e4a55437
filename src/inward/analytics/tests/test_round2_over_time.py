"""Round 2: the day-by-day series. A hidden day says what it is at least (the last count
shown: counts only grow) and the chart stays level there; a series is protected against
the shown total too, so it does not vanish once the last few people arrive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.analytics.charts import over_time_chart, report_lines
from inward.analytics.report_types import FunnelReport
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import deliveries, funnel_rows
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch

pytestmark = pytest.mark.django_db


def small(n: int, minimum: int) -> bool:
    return 0 < n < minimum


def waves(sizes: Sequence[tuple[int, int, int]]) -> Any:
    """A campaign whose people arrive in waves: (how many, first day, stage)."""
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), name="Mail")
    for count, day, stage in sizes:
        people = make_people(count)
        funnel_rows(campaign, people, [stage] * count, day=day)
        deliveries(touch, people, opened=[stage >= 2] * count)
    return campaign


def test_a_series_runs_on_to_the_shown_total_instead_of_vanishing() -> None:
    # Engaged: 10 on day 2, 20 on day 3, 22 on day 4 (and after): the last 2 arrive late.
    campaign = waves([(10, 0, 2), (10, 1, 2), (2, 2, 2)])

    report = funnel_report(campaign, minimum=5, breakdowns=[])

    assert report.total.counts == [22, 22, 22, 0, 0, 0]
    engaged = [(p.counts[2], p.at_least[2]) for p in report.over_time]
    assert engaged[-1] == (22, 22) == report.over_time[-1].cells[2]  # shown, as the total is
    assert (None, 10) in engaged and (20, 20) not in engaged
    assert [n for n, _floor in engaged if n is not None] == [0, 10, 22]


def test_the_chart_stays_level_on_hidden_days_and_says_why() -> None:
    campaign = waves([(10, 0, 2), (10, 1, 2), (2, 2, 2)])
    report = funnel_report(campaign, minimum=5, breakdowns=[])

    chart = over_time_chart(report)

    engaged = chart["series"][1]
    hidden_at = engaged["hidden"].index(True)
    assert engaged["values"][hidden_at] == engaged["values"][hidden_at - 1] == 10
    assert engaged["values"][-1] == 22
    assert "stays level at the last number shown" in chart["note"]
    lines = {line.stage.key: line.points.split() for line in report_lines(report)}
    assert len(lines["engaged"]) == len([v for v in engaged["values"] if v is not None])
    exact = over_time_chart(funnel_report(campaign, minimum=1, breakdowns=[]))
    assert exact["note"] == "" and not any(any(s["hidden"]) for s in exact["series"])


def test_a_hidden_day_reads_at_least_the_last_count_shown() -> None:
    html = render_to_string("analytics/_count.html", {"n": None, "at_least": 10, "minimum": 5})
    assert html == '<span class="hidden-count">at least 10</span>'
    html = render_to_string("analytics/_count.html", {"n": None, "minimum": 5})
    assert html == '<span class="hidden-count">fewer than 5</span>'


def assert_series_safe(report: FunnelReport, minimum: int) -> None:
    """No two shown days of a stage, nor a shown day and the shown total, differ by a
    small group; ``at_least`` is the last count shown so far."""
    for k in range(1, 6):
        shown = [p.counts[k] for p in report.over_time if p.counts[k] is not None]
        total = report.total.counts[k]
        ends = [*shown, total] if total is not None else shown
        for a in ends:
            for b in ends:
                assert not small(abs(a - b), minimum), (k, ends)
        last = None
        for point in report.over_time:
            last = point.counts[k] if point.counts[k] is not None else last
            assert point.at_least[k] == last


@given(
    arrivals=st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 9), st.integers(1, 5)), max_size=12
    ),
    minimum=st.integers(min_value=2, max_value=8),
)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_shown_day_gives_a_small_group_away(
    arrivals: list[tuple[int, int, int]], minimum: int
) -> None:
    with transaction.atomic():
        campaign = waves(arrivals)
        report = funnel_report(campaign, minimum=minimum, breakdowns=[])
        exact = funnel_report(campaign, minimum=1, breakdowns=[])
        transaction.set_rollback(True)
    assert_series_safe(report, minimum)
    for point, true in zip(report.over_time, exact.over_time, strict=True):
        for k in range(1, 6):
            assert point.counts[k] in (None, true.counts[k])
            # What a hidden day is said to be at least, it is.
            assert point.at_least[k] is None or point.at_least[k] <= true.counts[k]
    if exact.over_time:  # admins see every day, ending at the totals
        assert exact.over_time[-1].counts[1:] == exact.total.counts[1:]
