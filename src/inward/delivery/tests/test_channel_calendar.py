"""Calendar invites: the iCalendar writer, read back with a small RFC 5545 parser, and the
transport that mails it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from inward.campaigns.tests.factories import make_channel
from inward.delivery.channels.base import Event, Job, Recipient, TransportError
from inward.delivery.channels.calendar.ics import Party, escape_text, fold, ics_invite
from inward.delivery.channels.calendar.transport import CalendarTransport
from inward.delivery.models import ChannelKind
from inward.delivery.tests.servers import SmtpServer

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=AMSTERDAM)


def event(**fields: Any) -> Event:
    defaults: dict[str, Any] = {
        "uid": "t42.briefing@inward.example.com",
        "starts_at": START,
        "ends_at": START + dt.timedelta(hours=1),
        "location": "Room 4, Leeuwarden",
        "sequence": 0,
    }
    return Event(**(defaults | fields))


def invite(**fields: Any) -> bytes:
    defaults: dict[str, Any] = {
        "event": event(),
        "summary": "Manager briefing: new CRM",
        "description": "Talking points:\n- why; what\n- when, where",
        "organizer": Party("Learning team", "learning@example.com"),
        "attendee": Party("Mona Meijer", "mona@example.com"),
        "stamp": dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC),
    }
    return ics_invite(**(defaults | fields))


def unfold(data: bytes) -> list[str]:
    """Content lines: CRLF-separated, a line starting with a space continues the last."""
    text = data.decode()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text[:-2].replace("\r\n ", "").split("\r\n")


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(ch)
    return "".join(out)


def properties(data: bytes) -> dict[str, str]:
    """Property name (with parameters) to raw value, for the one VEVENT and its calendar."""
    found: dict[str, str] = {}
    for line in unfold(data):
        name, _, value = _split_content_line(line)
        found.setdefault(name, value)
    return found


def _split_content_line(line: str) -> tuple[str, str, str]:
    quoted = False
    for position, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            head = line[:position]
            return head.split(";", 1)[0], head, line[position + 1 :]
    raise AssertionError(f"no value in {line!r}")


def params(data: bytes, name: str) -> str:
    for line in unfold(data):
        found, head, _ = _split_content_line(line)
        if found == name:
            return head
    raise AssertionError(name)


def test_it_writes_an_invite_a_calendar_can_read() -> None:
    data = invite()
    props = properties(data)

    assert unfold(data)[0] == "BEGIN:VCALENDAR" and unfold(data)[-1] == "END:VCALENDAR"
    assert props["METHOD"] == "REQUEST"
    assert props["UID"] == "t42.briefing@inward.example.com"
    assert props["DTSTART"] == "20260302T090000Z"  # 10:00 in Amsterdam is 09:00 UTC
    assert props["DTEND"] == "20260302T100000Z"
    assert props["DTSTAMP"] == "20260201T080000Z"
    assert props["SEQUENCE"] == "0"
    assert props["STATUS"] == "CONFIRMED"
    assert unescape(props["SUMMARY"]) == "Manager briefing: new CRM"
    assert unescape(props["DESCRIPTION"]) == "Talking points:\n- why; what\n- when, where"
    assert unescape(props["LOCATION"]) == "Room 4, Leeuwarden"
    assert props["ORGANIZER"] == "mailto:learning@example.com"
    assert params(data, "ATTENDEE").startswith('ATTENDEE;CN="Mona Meijer";ROLE=REQ-PARTICIPANT')
    assert props["ATTENDEE"] == "mailto:mona@example.com"


def test_it_escapes_text_values() -> None:
    assert escape_text("a\\b;c,d\r\ne\rf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_it_folds_long_lines_at_75_octets_without_splitting_characters() -> None:
    summary = "Ünïcödé — " * 30
    data = invite(summary=summary)

    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    for line in data.split(b"\r\n"):
        line.decode()  # every physical line is whole UTF-8
    assert unescape(properties(data)["SUMMARY"]) == summary


def test_it_leaves_short_lines_alone() -> None:
    assert fold("SEQUENCE:1") == b"SEQUENCE:1\r\n"


def test_it_keeps_quotes_and_control_characters_out_of_names() -> None:
    data = invite(attendee=Party('Mona "the boss"\nMeijer', "mona@example.com"))

    assert params(data, "ATTENDEE").startswith('ATTENDEE;CN="Mona the bossMeijer";')


def test_it_writes_an_update_with_a_higher_sequence() -> None:
    props = properties(invite(event=event(sequence=3, starts_at=START + dt.timedelta(days=1))))

    assert props["SEQUENCE"] == "3"
    assert props["DTSTART"] == "20260303T090000Z"
    assert props["METHOD"] == "REQUEST"


def test_it_writes_a_cancellation() -> None:
    props = properties(invite(event=event(sequence=4, cancelled=True)))

    assert props["METHOD"] == "CANCEL"
    assert props["STATUS"] == "CANCELLED"
    assert props["SEQUENCE"] == "4"


def test_it_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        invite(event=event(starts_at=dt.datetime(2026, 3, 2, 10, 0)))


# --- The transport --------------------------------------------------------------------------


def calendar_job(**fields: Any) -> Job:
    defaults: dict[str, Any] = {
        "delivery_id": 7,
        "message_id": "<d3.7.0.abc@example.com>",
        "touch_key": "3:9",
        "recipient": Recipient(7, "mona@example.com", "Mona Meijer", "en"),
        "subject": "Manager briefing: new CRM",
        "text": "Talking points follow.",
        "html": "<p>Talking points follow.</p>",
        "event": event(),
    }
    return Job(**(defaults | fields))


@pytest.mark.django_db
def test_it_mails_the_invite_as_a_calendar_part(smtp_server: SmtpServer) -> None:
    channel = make_channel(
        ChannelKind.CALENDAR,
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none",
                "from_addr": "Learning team <learning@example.com>"},
    )  # fmt: skip
    transport = CalendarTransport(channel)
    transport.open()
    transport.send(calendar_job())
    transport.send(calendar_job(message_id="<d3.7.1.abc@example.com>",
                                event=event(sequence=1, cancelled=True)))  # fmt: skip
    transport.close()

    invite_message, cancel_message = smtp_server.messages
    [part] = [p for p in invite_message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    props = properties(part.get_content().encode())
    assert props["ORGANIZER"] == "mailto:learning@example.com"
    assert props["ATTENDEE"] == "mailto:mona@example.com"
    assert invite_message.get_body(("plain",)).get_content().strip() == "Talking points follow."
    [cancel] = [p for p in cancel_message.walk() if p.get_content_type() == "text/calendar"]
    assert cancel.get_param("method") == "CANCEL"
    assert properties(cancel.get_content().encode())["STATUS"] == "CANCELLED"


@pytest.mark.django_db
def test_it_attaches_the_invite_through_djangos_mail_backend_too() -> None:
    transport = CalendarTransport(make_channel(ChannelKind.CALENDAR, config={}))
    transport.send(calendar_job())
    transport.close()

    [sent] = mail.outbox
    parsed = sent.message()
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    # Django's message object keeps lines with LF; they go out as CRLF.
    data = part.get_payload(decode=True).replace(b"\n", b"\r\n")
    assert properties(data)["UID"] == "t42.briefing@inward.example.com"


@pytest.mark.django_db
def test_it_refuses_a_job_without_an_event() -> None:
    transport = CalendarTransport(make_channel(ChannelKind.CALENDAR, config={}))
    with pytest.raises(TransportError) as caught:
        transport.send(calendar_job(event=None))

    assert caught.value.permanent
    assert mail.outbox == []
