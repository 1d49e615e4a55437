"""The sender, end to end against real local servers: render, send, record."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from inward.campaigns.models import Campaign, CampaignStatus, Touch, Variant
from inward.campaigns.services import campaign_cancel
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery import sender
from inward.delivery.materialise import touch_materialise
from inward.delivery.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliverySettings,
    DeliveryStatus,
    FeedItem,
    Preference,
    SuppressReason,
)
from inward.delivery.outbox import deliveries_claim
from inward.delivery.selectors import campaign_progress, delivery_counts
from inward.delivery.sender import outbox_send_batch
from inward.delivery.tests.harness import HookedSmtpServer, shared_database
from inward.delivery.tests.servers import SlackServer, SmtpServer, TeamsServer
from inward.delivery.tracking import (
    click_url,
    open_pixel_url,
    preferences_person_id,
    preferences_url,
)
from inward.directory.models import Person, Status

pytestmark = pytest.mark.django_db
BODY = "Hi {{ person.first_name }}, you can [enrol here](https://learn.example.com/course)."


@pytest.fixture(autouse=True)
def _no_quiet_hours() -> None:
    """Tests run at any hour: no quiet hours unless a test sets them."""
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))


def email_channel(server: SmtpServer, kind: str = ChannelKind.EMAIL, **fields: Any) -> Channel:
    config = {"host": server.host, "port": server.port, "security": "none"}
    config["from_addr"] = "Learning team <learning@example.com>"
    return make_channel(kind, config=config, **fields)


def campaign() -> Campaign:
    audience = make_audience('department = "Sales"')
    return make_campaign(audience=audience, status=CampaignStatus.RUNNING, name="Budget week")


def written(channel: Channel, **fields: Any) -> Touch:
    fields.setdefault("body", BODY)
    touch = make_touch(campaign(), channel, send_at=timezone.now(), **fields)
    touch_materialise(touch=touch)
    return touch


def rows(touch: Touch) -> list[Delivery]:
    return list(Delivery.objects.filter(touch=touch).order_by("person__email"))


def test_it_sends_each_person_their_own_email_and_records_it(smtp_server: SmtpServer) -> None:
    people = make_people(3)
    touch = written(email_channel(smtp_server), subject="Hello {{ person.first_name }}")

    assert outbox_send_batch(worker="t") == 3

    by_address = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages}
    assert set(by_address) == {p.email for p in people}
    for delivery in rows(touch):
        message = by_address[delivery.person.email]
        assert message["Subject"] == f"Hello {delivery.person.first_name}"
        assert message["Message-ID"] == delivery.message_id
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
        assert unsubscribe.startswith(preferences_url(delivery.person_id).rsplit("/", 2)[0])
        assert preferences_person_id(token) == delivery.person_id
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        # The footer: where to change preferences, in both parts
        assert f'href="{unsubscribe}"' in html
        assert f"Change how Inward reaches you: {unsubscribe}" in text
        assert "mandatory" not in text
        assert click_url(delivery.pk, 0) in html and click_url(delivery.pk, 0) in text
        assert "learn.example.com" not in html  # only through the tracked link
        assert open_pixel_url(delivery.pk) in html
        assert not message.defects
        assert delivery.status == DeliveryStatus.SENT
        assert (delivery.attempts, delivery.lease_expires_at) == (1, None)
        assert delivery.sent_at is not None


def test_it_compiles_a_variant_once_and_again_only_when_it_changes(
    smtp_server: SmtpServer,
) -> None:
    sender._compiled.clear()
    make_people(20)
    touch = written(email_channel(smtp_server), subject="First")

    outbox_send_batch(worker="t", limit=10)
    outbox_send_batch(worker="t", limit=10)
    assert len(sender._compiled) == 1

    Variant.objects.filter(touch=touch).update(subject="Second", updated_at=timezone.now())
    Delivery.objects.filter(touch=touch).update(status=DeliveryStatus.PENDING)
    outbox_send_batch(worker="t", limit=20)

    assert len(sender._compiled) == 2
    assert [m["Subject"] for m in smtp_server.messages].count("Second") == 20


def test_it_puts_intranet_messages_in_each_persons_feed() -> None:
    people = make_people(2)
    touch = written(make_channel(ChannelKind.INTRANET), critical=True, subject="Read me")

    outbox_send_batch(worker="t")

    items = FeedItem.objects.order_by("person__email")
    assert [i.person_id for i in items] == sorted(
        (p.pk for p in people), key=lambda pk: Person.objects.get(pk=pk).email
    )
    assert all(i.critical and i.subject == "Read me" for i in items)
    assert {i.delivery_id for i in items} == {d.pk for d in rows(touch)}
    assert "<img" not in items[0].body_html  # no open pixel in the feed


def test_it_sends_a_calendar_invite_with_the_event(smtp_server: SmtpServer) -> None:
    make_people(1)
    starts = timezone.now() + dt.timedelta(days=3)
    written(
        email_channel(smtp_server, kind=ChannelKind.CALENDAR),
        event_starts_at=starts,
        event_location="Room 4",
    )

    outbox_send_batch(worker="t")

    [message] = smtp_server.messages
    [calendar] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    ics = calendar.get_content()
    assert "METHOD:REQUEST" in ics and "LOCATION:Room 4" in ics


def test_it_posts_once_to_a_teams_channel(teams_server: TeamsServer) -> None:
    make_people(3)
    channel = make_channel(ChannelKind.TEAMS, secrets={"webhook_url": teams_server.webhook_url})
    touch = written(channel)

    outbox_send_batch(worker="t")

    assert len(teams_server.cards) == 1
    assert [d.status for d in Delivery.objects.filter(touch=touch)] == [DeliveryStatus.SENT]


def test_it_slows_down_when_slack_says_so() -> None:
    people = make_people(3)
    slack = SlackServer(users={p.email: f"U{p.pk}" for p in people}).start()
    try:
        channel = make_channel(
            ChannelKind.SLACK,
            config={"api_base": slack.api_base},
            secrets={"bot_token": slack.token},
        )
        touch = written(channel)
        slack.rate_limit_next(count=1, retry_after=30)
        before = timezone.now()

        outbox_send_batch(worker="t")
    finally:
        slack.stop()

    assert slack.posts == []
    later = before + dt.timedelta(seconds=30)
    for delivery in rows(touch):
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.due_at >= later
    # Only the message Slack refused used up an attempt.
    assert sorted(d.attempts for d in rows(touch)) == [0, 0, 1]


def test_it_holds_messages_until_the_readers_quiet_hours_end(smtp_server: SmtpServer) -> None:
    make_people(1, time_zone="Europe/Amsterdam")
    touch = written(email_channel(smtp_server))
    mandatory = written(email_channel(smtp_server), mandatory=True)
    local = timezone.now().astimezone(ZoneInfo("Europe/Amsterdam"))
    start = (local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    DeliverySettings.objects.filter(pk=1).update(quiet_start=start, quiet_end=end)

    outbox_send_batch(worker="t")

    [held] = rows(touch)
    assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 0)
    assert held.due_at.astimezone(ZoneInfo("Europe/Amsterdam")).time() == end
    assert rows(mandatory)[0].status == DeliveryStatus.SENT
    assert len(smtp_server.messages) == 1


def test_it_does_not_send_to_someone_who_left_since(smtp_server: SmtpServer) -> None:
    [person] = make_people(1)
    touch = written(email_channel(smtp_server))
    Person.objects.filter(pk=person.pk).update(status=Status.LEFT)

    outbox_send_batch(worker="t")

    [delivery] = rows(touch)
    assert (delivery.status, delivery.suppressed_reason) == (
        DeliveryStatus.SUPPRESSED,
        SuppressReason.LEFT,
    )
    assert smtp_server.messages == []


def test_it_fails_a_message_that_has_no_variant_to_render(smtp_server: SmtpServer) -> None:
    make_people(1)
    touch = make_touch(campaign(), email_channel(smtp_server), send_at=timezone.now())
    touch.variants.all().delete()
    touch_materialise(touch=touch)

    outbox_send_batch(worker="t")

    [delivery] = rows(touch)
    assert delivery.status == DeliveryStatus.FAILED
    assert "could not render" in delivery.error


def test_it_gives_up_on_a_message_whose_workers_keep_dying(
    smtp_server: SmtpServer, settings: Any
) -> None:
    settings.INWARD_SEND_MAX_ATTEMPTS = 2
    make_people(1)
    touch = written(email_channel(smtp_server))
    Delivery.objects.filter(touch=touch).update(attempts=2)

    outbox_send_batch(worker="t")

    [delivery] = rows(touch)
    assert delivery.status == DeliveryStatus.FAILED
    assert "without an answer" in delivery.error
    assert smtp_server.messages == []


def test_it_gives_the_rest_back_when_asked_to_stop(smtp_server: SmtpServer) -> None:
    make_people(5)
    touch = written(email_channel(smtp_server))
    asked = iter([False, False, True])

    outbox_send_batch(worker="t", should_stop=lambda: next(asked, True))

    counts = delivery_counts(touch=touch)
    assert (counts["sent"], counts["pending"], counts["sending"]) == (2, 3, 0)
    assert len(smtp_server.messages) == 2


def test_it_counts_deliveries_per_status_with_zeros(smtp_server: SmtpServer) -> None:
    make_people(3)
    touch = written(email_channel(smtp_server))
    deliveries_claim(worker="t", limit=1)

    counts = delivery_counts(touch=touch)

    assert counts == {
        "pending": 2,
        "sending": 1,
        "sent": 0,
        "failed": 0,
        "suppressed": 0,
        "cancelled": 0,
    }
    assert delivery_counts(campaign=touch.campaign) == counts


def test_it_shows_a_campaigns_progress_per_touch(smtp_server: SmtpServer) -> None:
    make_people(4)
    touch = written(email_channel(smtp_server))
    make_touch(touch.campaign, touch.channel, send_at=timezone.now() + dt.timedelta(days=2))
    outbox_send_batch(worker="t", limit=3)
    Delivery.objects.filter(touch=touch, status=DeliveryStatus.SENT).update(
        opened_at=timezone.now()
    )

    progress = campaign_progress(campaign=touch.campaign)

    assert (progress.total, progress.finished, progress.percent) == (4, 3, 75)
    assert progress.opened == 3
    first, second = progress.touches
    assert first.materialised and not second.materialised
    assert first.counts["sent"] == 3 and first.counts["pending"] == 1
    assert sum(second.counts.values()) == 0


@pytest.mark.django_db(transaction=True)
def test_a_slow_provider_keeps_the_lease_on_the_rest_of_its_batch(
    settings: Any, tmp_path: Path
) -> None:
    # A lease of 2 s is renewed after 1 s; each message takes 0.5 s. The slow worker's lease
    # has about 1.5 s to spare when the other worker looks (so a busy machine's stall does
    # not end it), while the first lease, unrenewed, would have run out 0.5 s before.
    settings.INWARD_SEND_LEASE_SECONDS = 2
    make_people(6)
    taken: list[list[int]] = []

    def slow_and_watched(count: int) -> None:
        time.sleep(0.5)
        if count == 5:  # 2.5 s in: past the first lease; another worker tries its luck
            taken.append(deliveries_claim(worker="other", limit=10))
            connection.close()

    server = HookedSmtpServer(slow_and_watched).start()
    try:
        touch = written(email_channel(server))
        with shared_database(tmp_path):
            outbox_send_batch(worker="slow")
            counts = delivery_counts(touch=touch)
            attempts = set(touch.deliveries.values_list("attempts", flat=True))
    finally:
        server.stop()

    assert taken == [[]]
    assert counts["sent"] == 6
    assert attempts == {1}
    assert sorted(server.recipients().values()) == [1] * 6


def test_it_does_not_send_to_someone_who_opted_out_since(smtp_server: SmtpServer) -> None:
    [person] = make_people(1)
    touch = written(email_channel(smtp_server))
    mandatory = written(email_channel(smtp_server), mandatory=True)
    Preference.objects.create(person=person, channels_off=[ChannelKind.EMAIL])

    outbox_send_batch(worker="t")

    [delivery] = rows(touch)
    assert delivery.suppressed_reason == SuppressReason.OPTED_OUT
    assert rows(mandatory)[0].status == DeliveryStatus.SENT
    assert len(smtp_server.messages) == 1


def _held_by_a_dead_worker(touch: Touch) -> None:
    """Claimed by a worker that died: ``sending`` with a lease that has run out."""
    deliveries_claim(worker="dead", limit=100)
    past = timezone.now() - dt.timedelta(seconds=1)
    Delivery.objects.filter(touch=touch).update(lease_expires_at=past)


def test_it_cancels_what_a_dead_worker_held_when_the_campaign_was_cancelled(
    smtp_server: SmtpServer, admin_user: Any
) -> None:
    make_people(3)
    touch = written(email_channel(smtp_server))
    _held_by_a_dead_worker(touch)
    campaign_cancel(actor=admin_user, campaign=touch.campaign)  # leaves `sending` rows

    assert outbox_send_batch(worker="t") == 3

    assert smtp_server.messages == []
    assert delivery_counts(touch=touch)["cancelled"] == 3


def test_it_cancels_rows_of_a_cancelled_touch_in_a_live_campaign(
    smtp_server: SmtpServer,
) -> None:
    make_people(2)
    touch = written(email_channel(smtp_server))
    Touch.objects.filter(pk=touch.pk).update(cancelled_at=timezone.now())

    outbox_send_batch(worker="t")

    assert smtp_server.messages == []
    assert delivery_counts(touch=touch)["cancelled"] == 2


def test_it_still_sends_a_calendar_cancellation_but_not_the_invite(
    smtp_server: SmtpServer, admin_user: Any
) -> None:
    make_people(2)
    starts = timezone.now() + dt.timedelta(days=3)
    touch = written(email_channel(smtp_server, kind=ChannelKind.CALENDAR), event_starts_at=starts)
    outbox_send_batch(worker="t", limit=1)  # one invite went out
    _held_by_a_dead_worker(touch)  # the other was in the hands of a worker that died
    campaign_cancel(actor=admin_user, campaign=touch.campaign)

    outbox_send_batch(worker="t")

    invite, cancellation = smtp_server.messages
    [part] = [p for p in cancellation.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL"
    assert cancellation["To"].addresses[0].addr_spec == invite["To"].addresses[0].addr_spec
    statuses = sorted(Delivery.objects.filter(touch=touch).values_list("generation", "status"))
    assert statuses == [
        (0, DeliveryStatus.CANCELLED),
        (0, DeliveryStatus.SENT),
        (1, DeliveryStatus.SENT),
    ]
