"""Open pixels and click redirects over real HTTP: answered at once, written in batches by
the flusher thread, robots recognised, never an open redirect. A real waitress server (as
``inward serve`` runs it) with the lean WSGI path of ``inward/wsgi.py`` and without it
(Django's whole stack and the tracking views)."""

from __future__ import annotations

import datetime as dt
import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from inward.analytics import hits
from inward.analytics.hits import Hit, HitBuffer
from inward.analytics.models import EngagementEvent, EventKind, FunnelStage
from inward.analytics.robots import Reason
from inward.analytics.tests.ingest_fixtures import deliver, promoting, stage_of
from inward.delivery.models import Delivery
from inward.delivery.tests.harness import shared_database
from inward.delivery.tracking import click_token, open_token
from inward.delivery.tracking_links import forget_all
from inward.delivery.tracking_views import PIXEL
from inward.web.management.commands.serve import close_server, run_in_thread

BODY = "[Enrol](https://learn.example.com/course) or [read more](https://wiki.example.com/crm)."
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
SENT = dt.timedelta(minutes=10)  # sent this long before the hits: not a gateway's prefetch


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


class Http:
    """A keep-alive HTTP/1.1 client on one server."""

    def __init__(self, host: str, port: int) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=10)

    def get(self, path: str, *, agent: str = BROWSER, method: str = "GET") -> Answer:
        started = time.perf_counter()
        self.connection.request(method, path, headers={"User-Agent": agent})
        response = self.connection.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, body, seconds)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    forget_all()


@contextmanager
def serving(tmp_path: Path, *, lean: bool = True) -> Iterator[Http]:
    """A real waitress server on a free port, as ``inward serve`` runs it: with the lean
    tracking path of ``inward/wsgi.py`` in front of Django (``lean``) or Django alone (its
    whole middleware stack and the tracking views). Enter it after arranging the rows:
    SQLite's test database is in memory, and a file copy stands in for it while other
    threads use it (``shared_database``)."""
    from waitress.server import create_server

    from inward.wsgi import application, django_application

    with shared_database(tmp_path):
        hits.buffer.start()
        app = application if lean else django_application
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        run_in_thread(server)
        try:
            yield Http("127.0.0.1", server.effective_port)  # type: ignore[union-attr]
        finally:
            close_server(server)
            hits.buffer.stop()  # the flusher's connection is closed before the file goes
            _close_server_connections()


def _close_server_connections() -> None:
    """The server's threads kept their database connections (``CONN_MAX_AGE``); end them,
    so the test database can be dropped at the end of the run."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the flusher did not write in time"
        time.sleep(0.05)


def sent_delivery(people: int = 1) -> list[Delivery]:
    setup = promoting(None, people=people, touches=1)
    touch = setup.touches[0]
    touch.variants.update(body=BODY)
    return [deliver(touch, p, at=timezone.now() - SENT) for p in setup.people]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lean", [True, False], ids=["lean", "django"])
def test_it_answers_at_once_and_the_flusher_writes_every_hit(lean: bool, tmp_path: Path) -> None:
    deliveries = sent_delivery(people=10)

    with serving(tmp_path, lean=lean) as client:
        answers = []
        for delivery in deliveries:
            answers.append(client.get(f"/t/o/{open_token(delivery.pk)}.gif"))
            answers.append(client.get(f"/t/c/{click_token(delivery.pk, 1)}"))

        assert [a.status for a in answers] == [200, 302] * 10
        assert all(a.body == PIXEL for a in answers[::2])
        assert {a.headers["location"] for a in answers[1::2]} == {"https://wiki.example.com/crm"}
        # Most answers are quick; one may stall on a shared CI machine (the first through
        # Django's stack, a thread switch), so the median is checked, not the slowest.
        assert statistics.median(a.seconds for a in answers) < 0.5
        assert all("no-store" in a.headers["cache-control"] for a in answers)
        assert not any("set-cookie" in a.headers for a in answers)
        wait_for(lambda: EngagementEvent.objects.count() == 20)
        wait_for(lambda: not Delivery.objects.filter(clicked_at=None).exists())
        assert not EngagementEvent.objects.filter(robot=True).exists()
        for delivery in deliveries:
            delivery.refresh_from_db()
            assert delivery.opened_at is not None and delivery.clicked_at is not None
            assert delivery.opened_at <= delivery.clicked_at
            assert delivery.person is not None
            assert stage_of(delivery.touch.campaign, delivery.person) == FunnelStage.ENGAGED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lean", [True, False], ids=["lean", "django"])
def test_it_never_redirects_anywhere_the_request_names(lean: bool, tmp_path: Path) -> None:
    delivery, other = sent_delivery(people=2)
    token = click_token(delivery.pk, 0)
    value, signature = token.split(".")
    paths = [
        f"/t/c/{click_token(delivery.pk, 2)}",  # no third link
        f"/t/c/{value}.{signature[::-1]}",
        f"/t/c/{click_token(other.pk, 0).split('.')[0]}.{signature}",
        f"/t/c/{value}",
        "/t/c/https:%2F%2Fevil.example.com",
        f"/t/c/{open_token(delivery.pk)}",
        f"/t/o/{click_token(delivery.pk, 0)}.gif",
        f"/t/c/{token}/https://evil.example.com",
    ]

    with serving(tmp_path, lean=lean) as client:
        for path in paths:
            assert client.get(path).status == 404, path
        answer = client.get(f"/t/c/{token}?next=https://evil.example.com&url=//evil.example.com")
    assert (answer.status, answer.headers["location"]) == (302, "https://learn.example.com/course")


@pytest.mark.django_db(transaction=True)
def test_the_lean_path_sends_security_headers_and_leaves_other_pages_to_django(
    tmp_path: Path,
) -> None:
    [delivery] = sent_delivery()

    with serving(tmp_path) as client:
        pixel = client.get(f"/t/o/{open_token(delivery.pk)}.gif")
        redirect = client.get(f"/t/c/{click_token(delivery.pk, 0)}")
        page = client.get("/accounts/login/")

    for answer in (pixel, redirect):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert pixel.headers["content-type"] == "image/gif"
    assert page.status == 200 and b"csrfmiddlewaretoken" in page.body


@pytest.mark.django_db(transaction=True)
def test_it_stores_robots_with_the_reason_and_counts_none_of_them(tmp_path: Path) -> None:
    by_agent, by_head, too_soon, every_link = sent_delivery(people=4)
    Delivery.objects.filter(pk=too_soon.pk).update(sent_at=timezone.now())

    with serving(tmp_path) as client:
        client.get(f"/t/o/{open_token(by_agent.pk)}.gif", agent="Barracuda Sentinel (EE)")
        client.get(f"/t/c/{click_token(by_agent.pk, 0)}", agent="python-requests/2.32")
        client.get(f"/t/o/{open_token(by_agent.pk)}.gif", agent="Mozilla/5.0")
        client.get(f"/t/c/{click_token(by_head.pk, 0)}", method="HEAD")
        client.get(f"/t/o/{open_token(too_soon.pk)}.gif")
        client.get(f"/t/c/{click_token(every_link.pk, 0)}")
        client.get(f"/t/c/{click_token(every_link.pk, 1)}")
        wait_for(lambda: EngagementEvent.objects.count() == 7)
        robots = [(e.delivery_id, e.detail["robot"]) for e in EngagementEvent.objects.all()]
        touched = Delivery.objects.exclude(opened_at=None, clicked_at=None).exists()
        stages = [
            stage_of(d.touch.campaign, d.person)  # type: ignore[arg-type]
            for d in (by_agent, by_head, too_soon, every_link)
        ]

    assert sorted(robots) == sorted(
        [
            (by_agent.pk, Reason.AGENT),
            (by_agent.pk, Reason.AGENT),
            (by_agent.pk, Reason.APPLE_PROXY),
            (by_head.pk, Reason.HEAD),
            (too_soon.pk, Reason.TOO_SOON),
            (every_link.pk, Reason.EVERY_LINK),
            (every_link.pk, Reason.EVERY_LINK),
        ]
    )
    assert not touched
    assert stages == [None] * 4


@pytest.mark.django_db
def test_a_warm_click_and_an_open_touch_no_database_while_the_flusher_runs(
    client: Any, django_assert_num_queries: Any
) -> None:
    [delivery] = sent_delivery()
    buffer = HitBuffer()
    original = hits.buffer
    hits.buffer = buffer
    buffer._thread = threading.Thread(target=lambda: None)  # "running", writes nothing
    buffer._thread.is_alive = lambda: True  # type: ignore[method-assign]
    try:
        client.get(f"/t/c/{click_token(delivery.pk, 0)}")  # warms the links cache
        with django_assert_num_queries(0):
            assert client.get(f"/t/c/{click_token(delivery.pk, 1)}").status_code == 302
            assert client.get(f"/t/o/{open_token(delivery.pk)}.gif").status_code == 200
        assert buffer.pending() == 3
    finally:
        hits.buffer = original


@pytest.mark.django_db(transaction=True)
def test_it_writes_what_is_left_when_stopped_and_drops_hits_past_its_limit() -> None:
    [delivery] = sent_delivery()
    buffer = HitBuffer(limit=2)
    now = timezone.now()
    for link in (0, None, 1):
        kind = EventKind.OPENED if link is None else EventKind.CLICKED
        buffer.push(Hit(kind=kind, delivery_id=delivery.pk, at=now, link=link))

    assert (buffer.pending(), buffer.dropped) == (2, 1)
    buffer.stop()  # never started: writes what it holds

    assert EngagementEvent.objects.count() == 2 and buffer.pending() == 0
    delivery.refresh_from_db()
    assert delivery.clicked_at == delivery.opened_at == now
