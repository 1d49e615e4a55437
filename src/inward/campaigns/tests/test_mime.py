"""E-mails built from a skeleton must parse cleanly and say exactly what was put in."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import re
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inward.campaigns.rendering import EmailSkeleton, email_html_document

PARSER = email.parser.BytesParser(policy=email.policy.default)
ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Briefing Frysl\xc3\xa2n\r\nEND:VCALENDAR\r\n"


def parse(raw: bytes) -> EmailMessage:
    message = PARSER.parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert message.defects == []
    for part in message.walk():
        assert part.defects == [], part.get_content_type()
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    # On the wire every line ends in CRLF; compare as \n.
    return content.replace("\r\n", "\n")


def build(skeleton: EmailSkeleton | None = None, **overrides: object) -> bytes:
    fields: dict[str, object] = {
        "to_name": "Anna de Vries",
        "to_addr": "anna@example.com",
        "message_id": "<d1.2.0.abc@inward.example.com>",
        "subject": "Hello",
        "text": "Hello Anna\n",
        "html": "<p>Hello Anna</p>\n",
    }
    fields.update(overrides)
    return (skeleton or EmailSkeleton(from_addr="Inward <inward@example.com>")).build(
        **fields  # type: ignore[arg-type]
    )


def assert_lines_are_short(raw: bytes) -> None:
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line


def test_it_builds_a_plain_ascii_message() -> None:
    skeleton = EmailSkeleton(from_addr="Inward <inward@example.com>", reply_to="comms@example.com")
    raw = build(skeleton, headers={"List-Unsubscribe": "<https://inward.example.com/p/1>"})
    message = parse(raw)
    assert message["Subject"] == "Hello"
    assert message["From"].addresses[0].display_name == "Inward"
    assert message["From"].addresses[0].addr_spec == "inward@example.com"
    assert message["Reply-To"].addresses[0].addr_spec == "comms@example.com"
    assert message["To"].addresses[0].display_name == "Anna de Vries"
    assert message["To"].addresses[0].addr_spec == "anna@example.com"
    assert message["Message-ID"] == "<d1.2.0.abc@inward.example.com>"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime.utcoffset().total_seconds() == 0
    assert message["List-Unsubscribe"] == "<https://inward.example.com/p/1>"
    assert message.get_content_type() == "multipart/alternative"
    assert body(message, "plain") == "Hello Anna\n"
    assert body(message, "html") == "<p>Hello Anna</p>\n"
    assert_lines_are_short(raw)


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        ("Sjoukje Fryslân", "Goeie moarn út Fryslân", "Dit is één bericht.\nTige tank!\n"),
        ("Anaïs Müller-Lüdenscheid", "één keer per week: Fryslân", "Ça va? Één, twee.\n"),
        ("Ünïcødé 🎉", "Party time 🎉🎈 with a long tail " * 3, "🎉 " * 100),
        ('Odd "quoted" \\ name, Jr.', "=?utf-8?q?not-an-encoded-word?=", "=3D is not =\n"),
    ],
)
def test_it_encodes_what_is_not_plain_ascii(name: str, subject: str, text: str) -> None:
    raw = build(to_name=name, subject=subject, text=text, html=f"<p>{text}</p>")
    message = parse(raw)
    assert message["To"].addresses[0].display_name == name
    assert message["Subject"] == subject
    assert body(message, "plain") == text
    assert body(message, "html") == f"<p>{text}</p>"
    assert_lines_are_short(raw)


def test_it_keeps_long_lines_and_lines_starting_with_from_or_a_dot() -> None:
    text = "From here on.\n.\n..\n. leading dot\nx" + "y" * 500 + "\n \ntrailing space \n\ttab\n"
    raw = build(text=text, html="<p>" + "é" * 300 + "</p>")
    message = parse(raw)
    assert body(message, "plain") == text
    assert body(message, "html") == "<p>" + "é" * 300 + "</p>"
    assert not re.search(rb"^From ", raw, re.MULTILINE)
    assert_lines_are_short(raw)


def test_it_folds_a_long_ascii_subject_at_spaces() -> None:
    subject = " ".join(["Learn"] * 40)
    raw = build(subject=subject)
    assert b"Subject: Learn Learn" in raw
    assert parse(raw)["Subject"] == subject
    assert_lines_are_short(raw)


def test_it_adds_a_calendar_invite_next_to_the_bodies() -> None:
    raw = build(ics=ICS, ics_method="CANCEL")
    message = parse(raw)
    assert message.get_content_type() == "multipart/mixed"
    alternative, calendar = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "CANCEL"
    assert calendar.get_payload(decode=True) == ICS
    assert body(message, "plain") == "Hello Anna\n"
    assert_lines_are_short(raw)


def test_it_encodes_the_sender_once_and_adds_list_headers() -> None:
    skeleton = EmailSkeleton(
        from_addr="Inward Fryslân <inward@example.com>", reply_to="Team ûs <team@example.com>"
    )
    headers = {
        "List-Unsubscribe": "<https://inward.example.com/feed/preferences/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Inward-Campaign": "Learn Python in four weeks, at your own pace, with " * 3,
    }
    raw = build(skeleton, headers=headers)
    message = parse(raw)
    assert message["From"].addresses[0].display_name == "Inward Fryslân"
    assert message["Reply-To"].addresses[0].display_name == "Team ûs"
    for name, value in headers.items():
        assert message[name] == value
    assert_lines_are_short(raw)


def test_it_uses_fresh_boundaries_for_each_skeleton() -> None:
    first, second = build(), build()
    boundary = re.compile(rb'boundary="([^"]+)"')
    assert boundary.findall(first) != boundary.findall(second)


@pytest.mark.parametrize(
    "overrides",
    [
        {"to_addr": "anna@example.com\r\nBcc: x@example.com"},
        {"to_addr": "anna.example.com"},
        {"to_addr": "ánna@example.com"},
        {"message_id": "<a b@example.com>"},
        {"message_id": "<x@example.com>\r\nBcc: y@example.com"},
        {"headers": {"Bcc": "victim@example.com"}},
        {"headers": {"Content-Type": "text/plain"}},
        {"headers": {"Bad Name": "x"}},
        {"ics": b"BEGIN:VCALENDAR", "ics_method": "REQUEST\r\nX: y"},
    ],
)
def test_it_refuses_values_that_would_change_the_headers(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(None, **overrides)


def test_it_never_lets_a_name_or_subject_start_a_new_header() -> None:
    raw = build(
        to_name="Anna\r\nBcc: victim@example.com",
        subject="Hi\r\nBcc: victim@example.com",
        headers={"X-Campaign": "one\r\nBcc: victim@example.com"},
    )
    message = parse(raw)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi  Bcc: victim@example.com"
    assert message["To"].addresses[0].display_name == "Anna Bcc: victim@example.com"


def test_it_wraps_a_fragment_in_a_document_with_a_charset() -> None:
    document = email_html_document("<p>één</p>", lang="fy")
    assert document.startswith('<!DOCTYPE html>\n<html lang="fy"><head><meta charset="utf-8">')
    assert "<p>één</p>" in document
    assert '"><script>' not in email_html_document("x", lang='"><script>')


HEADER_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=200
)
BODY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=2000)
NAMES = st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=80)


@settings(max_examples=300, deadline=None)
@given(subject=HEADER_TEXT, text=BODY_TEXT, html=BODY_TEXT, name=NAMES)
def test_it_round_trips_any_text(subject: str, text: str, html: str, name: str) -> None:
    """Bodies come back exactly, except that every line ending reads as \\n; subjects
    exactly; names with whitespace runs as one space, trimmed."""
    raw = build(subject=subject, text=text, html=html, to_name=name, ics=b"BEGIN:VCALENDAR\r\n")
    message = parse(raw)
    assert message["Subject"] == subject
    assert body(message, "plain") == text.replace("\r\n", "\n").replace("\r", "\n")
    assert body(message, "html") == html.replace("\r\n", "\n").replace("\r", "\n")
    assert message["To"].addresses[0].addr_spec == "anna@example.com"
    assert display_name(raw) == " ".join(name.split())
    assert_lines_are_short(raw.split(b"\r\n\r\n", 1)[1])


def display_name(raw: bytes) -> str:
    """The To name as RFC 2047 reads it.

    A name longer than one encoded word (45 bytes of UTF-8) is sent as several adjacent
    encoded words; RFC 2047 ignores the space between them, but Python's address parser
    keeps it (CPython's own generator output reads back with that space too), so this
    decodes the header the RFC's way.
    """
    header = email.message_from_bytes(raw)["To"]
    if "=?" not in header:
        return str(parse(raw)["To"].addresses[0].display_name)
    return str(make_header(decode_header(header))).rsplit(" <", 1)[0]


def test_it_encodes_a_long_non_ascii_name_as_adjacent_encoded_words() -> None:
    name = "Sjoukje Fryslân-Ûtsjoch de Jong-van der Wâlden út Ljouwert"
    raw = build(to_name=name)
    parse(raw)
    header = raw.split(b"\r\nTo: ", 1)[1].split(b"\r\nSubject", 1)[0]
    assert header.count(b"=?utf-8?b?") > 1
    assert all(len(line) <= 76 for line in header.split(b"\r\n"))
    assert display_name(raw) == name


def test_it_base64_encodes_the_invite_in_short_lines() -> None:
    ics = b"BEGIN:VCALENDAR\r\n" + b"DESCRIPTION:" + b"x" * 400 + b"\r\nEND:VCALENDAR\r\n"
    raw = build(ics=ics)
    encoded = base64.encodebytes(ics).replace(b"\n", b"\r\n")
    assert encoded in raw
    assert_lines_are_short(raw)
