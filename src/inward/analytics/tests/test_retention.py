"""Retention: raw events past the retention period become daily counts (robots left
out) and are deleted; attributions keep what they copied."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inward.analytics.events import record_events
from inward.analytics.models import (
    Attribution,
    EngagementEvent,
    EventKind,
    EventRollup,
    FunnelStage,
)
from inward.analytics.retention import events_rollup
from inward.analytics.tests.ingest_fixtures import (
    deliver,
    learning,
    make_offering,
    on_touch,
    promoting,
    stage_of,
)

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def test_it_rolls_up_old_events_into_daily_counts_and_deletes_them(settings: Any) -> None:
    settings.INWARD_EVENT_RETENTION_DAYS = 100
    now = timezone.now()
    old = (now - 200 * DAY).replace(hour=10, minute=0, second=0, microsecond=0)
    offering = make_offering()
    setup = promoting(offering, people=2, touches=1)
    a, b = setup.people
    da = deliver(setup.touches[0], a, at=old - DAY)
    db = deliver(setup.touches[0], b, at=old - DAY)
    record_events(
        [
            on_touch(EventKind.OPENED, da, old),
            on_touch(EventKind.OPENED, db, old + dt.timedelta(hours=3)),
            on_touch(EventKind.OPENED, db, old + dt.timedelta(hours=4), robot=True),
            on_touch(EventKind.CLICKED, da, old + DAY),
            learning(EventKind.ENROLLED, a, offering, old + DAY),
            on_touch(EventKind.OPENED, da, now - 10 * DAY),  # recent: kept
        ]
    )

    report = events_rollup(now=now)

    assert report.days == [old.date(), (old + DAY).date()] and report.deleted == 5
    counts = {
        (r.day, r.kind, r.touch_id, r.offering_id): r.count for r in EventRollup.objects.all()
    }
    t = setup.touches[0].pk
    assert counts == {
        (old.date(), EventKind.OPENED, t, None): 2,  # the robot left out
        ((old + DAY).date(), EventKind.CLICKED, t, None): 1,
        ((old + DAY).date(), EventKind.ENROLLED, None, offering.pk): 1,
    }
    assert list(EngagementEvent.objects.values_list("occurred_at", flat=True)) == [now - 10 * DAY]
    credit = Attribution.objects.filter(model="first").get()
    assert credit.event_id is None
    assert (credit.person_id, credit.offering_id, credit.occurred_at) == (
        a.pk,
        offering.pk,
        old + DAY,
    )
    assert stage_of(setup.campaign, a) == FunnelStage.ACTED  # funnel state untouched
    assert events_rollup(now=now).deleted == 0  # twice does nothing more


def test_the_command_rolls_up_with_a_given_number_of_days() -> None:
    setup = promoting(None, people=1, touches=1)
    delivery = deliver(setup.touches[0], setup.people[0], at=timezone.now() - 9 * DAY)
    record_events([on_touch(EventKind.OPENED, delivery, timezone.now() - 8 * DAY)])
    out = StringIO()

    call_command("analytics", "rollup", "--days", "7", stdout=out)

    assert "1 raw events deleted" in out.getvalue()
    assert not EngagementEvent.objects.exists() and EventRollup.objects.get().count == 1
    assert ": 1 raw events rolled up" in out.getvalue(), "a line per day as it goes"


@pytest.mark.parametrize("days", ["0", "-3", "seven"])
def test_the_command_refuses_a_retention_that_would_delete_everything(days: str) -> None:
    setup = promoting(None, people=1, touches=1)
    delivery = deliver(setup.touches[0], setup.people[0], at=timezone.now())
    record_events([on_touch(EventKind.OPENED, delivery, timezone.now())])

    with pytest.raises(CommandError):
        call_command("analytics", "rollup", "--days", days, stdout=StringIO())

    assert EngagementEvent.objects.count() == 1  # the open, kept


def test_the_command_rebuilds_missing_funnel_rows() -> None:
    setup = promoting(None, people=2, touches=1)
    for person in setup.people:
        deliver(setup.touches[0], person, at=timezone.now())
    setup.touches[0].__class__.objects.filter(pk=setup.touches[0].pk).update(
        materialised_at=timezone.now()
    )
    out = StringIO()

    call_command("analytics", "rebuild", stdout=out)

    assert out.getvalue().strip() == "2 funnel rows added; 2 moved to 'reached'."
