"""The report driven through the ingest path: events recorded with ``record_events``
(funnel state and attribution written by ingest), then read back by ``funnel_report``."""

from __future__ import annotations

import datetime as dt

import pytest

from inward.analytics.events import record_events
from inward.analytics.funnel_state import ensure_funnel_rows
from inward.analytics.hits import Hit, hits_write
from inward.analytics.models import EventKind
from inward.analytics.robots import Reason
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.ingest_fixtures import (
    T0,
    deliver,
    learning,
    make_offering,
    on_touch,
    promoting,
)

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def test_it_reports_what_ingest_recorded() -> None:
    course = make_offering()
    setup = promoting(course, people=12, touches=2)
    first, second = setup.touches
    sent = [deliver(first, p, at=T0) for p in setup.people[:10]]
    deliver(first, setup.people[10], at=None)
    later = [deliver(second, p, at=T0 + 48 * HOUR) for p in setup.people[:4]]
    for touch in setup.touches:
        ensure_funnel_rows(touch)
    events = [on_touch(EventKind.DELIVERED, d, T0) for d in sent]
    events += [on_touch(EventKind.DELIVERED, d, T0 + 48 * HOUR) for d in later]
    events += [learning(EventKind.ENROLLED, p, course, T0 + 72 * HOUR) for p in setup.people[:3]]
    events += [learning(EventKind.COMPLETED, setup.people[0], course, T0 + 96 * HOUR)]
    record_events(events)
    # Opens come in through the tracking, which also marks the delivery opened.
    opens = [Hit(EventKind.OPENED, d.pk, T0 + HOUR) for d in sent[:6]]
    opens += [Hit(EventKind.OPENED, sent[6].pk, T0 + HOUR, robot=Reason.AGENT)]  # a scanner
    opens += [Hit(EventKind.OPENED, d.pk, T0 + 49 * HOUR) for d in later[:2]]
    hits_write(opens)

    report = funnel_report(setup.campaign, minimum=1, model="first")
    assert report.total.counts == [11, 10, 6, 3, 1, 0]
    by_touch = {r.label: r.counts for r in report.breakdowns[0].rows}
    assert by_touch[first.name] == [11, 10, 6, 3, 1, 0]
    # Of the second touch's four, two opened it: both enrolled, one completed.
    assert by_touch[second.name] == [4, 4, 2, 2, 1, 0]
    first_touch = report.learning[0]
    assert (first_touch.model, first_touch.enrolled, first_touch.completed) == ("first", 3, 1)
    assert first_touch.by_touch == [(first.name, 3.0, 1.0)]
    last_touch = next(item for item in report.learning if item.model == "last")
    assert last_touch.by_touch == [(second.name, 3.0, 1.0)]
    assert report.over_time[-1].counts == [None, 10, 6, 3, 1, 0]

    cut = funnel_report(setup.campaign, minimum=5)
    assert cut.total.counts == [11, None, 6, None, None, 0]  # 11 - 10: one not reached
