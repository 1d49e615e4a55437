"""A small iCalendar (RFC 5545) writer for meeting invites, updates and cancellations.

Only what an invite needs: one VEVENT with UID, DTSTAMP, DTSTART/DTEND in UTC, SEQUENCE,
SUMMARY, DESCRIPTION, LOCATION, ORGANIZER, ATTENDEE and STATUS, under METHOD:REQUEST or
METHOD:CANCEL (RFC 5546). Text is escaped and lines are folded at 75 octets, never inside
a UTF-8 character.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inward.delivery.channels.base import Event

PRODID = "-//Inward//Inward campaigns//EN"
LINE_OCTETS = 75


@dataclass(frozen=True, slots=True)
class Party:
    """An organizer or attendee: a name (may be empty) and an e-mail address."""

    name: str
    email: str


def ics_method(event: Event) -> str:
    """``CANCEL`` for a cancelled event, else ``REQUEST`` (new invites and updates alike)."""
    return "CANCEL" if event.cancelled else "REQUEST"


def ics_invite(
    *,
    event: Event,
    summary: str,
    description: str,
    organizer: Party,
    attendee: Party,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The calendar object for ``event`` as UTF-8 bytes with CRLF line endings.

    An update keeps ``event.uid`` and raises ``event.sequence``; calendars then replace the
    earlier version. ``stamp`` (DTSTAMP) defaults to now.
    """
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{ics_method(event)}",
        *_vevent(
            event, summary, description, organizer, attendee, stamp or dt.datetime.now(dt.UTC)
        ),
        "END:VCALENDAR",
    ]
    return b"".join(fold(line) for line in lines)


def _vevent(
    event: Event,
    summary: str,
    description: str,
    organizer: Party,
    attendee: Party,
    stamp: dt.datetime,
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    lines += [
        f"ORGANIZER{_common_name(organizer)}:mailto:{organizer.email}",
        f"ATTENDEE{_common_name(attendee)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
        f"RSVP=TRUE:mailto:{attendee.email}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


def utc_stamp(when: dt.datetime) -> str:
    """``YYYYMMDDTHHMMSSZ``; naive datetimes are refused (they would be guesses)."""
    if when.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def _common_name(party: Party) -> str:
    # A parameter value is quoted; a double quote cannot appear inside one at all, and
    # control characters would break the line.
    name = "".join(ch for ch in party.name if ch >= " " and ch != '"').strip()
    return f';CN="{name}"' if name else ""


def fold(line: str) -> bytes:
    """One content line as bytes with CRLF, folded so no physical line passes 75 octets."""
    data = line.encode()
    if len(data) <= LINE_OCTETS:
        return data + b"\r\n"
    pieces: list[bytes] = []
    start, limit = 0, LINE_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a UTF-8 character
            end -= 1
        pieces.append(data[start:end])
        start, limit = end, LINE_OCTETS - 1  # continuation lines start with a space
    return b"\r\n ".join(pieces) + b"\r\n"
