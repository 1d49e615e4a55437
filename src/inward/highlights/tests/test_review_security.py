"""Security review of highlights: header injection through digest titles and stakeholder
names, stored HTML in every place a digest is shown or sent, Slack markup, CSRF, and
hostile picture files."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from inward.accounts.models import User
from inward.delivery.tests.servers import SlackServer, SmtpServer
from inward.highlights.images import ImageRefused, image_clean
from inward.highlights.models import (
    Digest,
    HighlightKind,
    PreferredChannel,
    RecipientStatus,
    Stakeholder,
)
from inward.highlights.tests.factories import (
    jpeg_bytes,
    make_digest,
    make_highlight,
    make_stakeholder,
    png_bytes,
)
from inward.highlights.tests.test_sending import email_channel, send, slack_channel

pytestmark = pytest.mark.django_db

INJECTED = "Highlights\r\nBcc: everyone@example.com"


# --- header injection -------------------------------------------------------------------


def test_a_digest_title_with_a_line_break_is_refused_by_the_form(
    manager_user: User, client_as: Any
) -> None:
    client = client_as(manager_user)
    highlight = make_highlight(pinned=True)
    stakeholder = make_stakeholder()
    answer = client.post(
        reverse("highlights:digest_create"),
        {"title": INJECTED, "highlights": [highlight.pk], "stakeholders": [stakeholder.pk]},
    )
    assert answer.status_code == 200
    assert "title" in answer.context["form"].errors
    assert not Digest.objects.exists()


def test_a_stakeholder_name_with_a_line_break_is_refused_by_the_form(
    manager_user: User, client_as: Any
) -> None:
    client = client_as(manager_user)
    answer = client.post(
        reverse("highlights:stakeholder_create"),
        {
            "name": "Anna\r\nBcc: everyone@example.com",
            "email": "anna@example.com",
            "preferred_channel": "email",
            "cadence_days": 30,
        },
    )
    assert answer.status_code == 200
    assert "name" in answer.context["form"].errors
    assert not Stakeholder.objects.exists()


def test_a_title_with_a_line_break_fails_the_copy_through_django_mail(
    manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Rows written some other way (an import, the shell): the copy fails with a reason,
    it is not left "sending" by a crashed task, and nothing is injected."""
    digest = make_digest(
        title=INJECTED,
        highlights=[make_highlight()],
        stakeholders=[make_stakeholder(name="Anna\nBcc: x@example.com")],
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)
    copy = digest.recipients.get()
    assert copy.status == RecipientStatus.FAILED
    assert copy.error
    assert mail.outbox == []


def test_a_title_with_a_line_break_fails_the_copy_through_smtp(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    digest = make_digest(
        title=INJECTED,
        highlights=[make_highlight()],
        stakeholders=[make_stakeholder()],
        email_channel=email_channel(smtp_server),
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)
    assert digest.recipients.get().status == RecipientStatus.FAILED
    assert smtp_server.received == []


# --- stored HTML ------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def test_no_stored_html_reaches_the_pages(manager_user: User, client_as: Any) -> None:
    client = client_as(manager_user)
    highlight = make_highlight(
        HighlightKind.QUOTE,
        title=SCRIPT,
        quote_text=IMG,
        quote_by=SCRIPT,
        story=f"{SCRIPT}\n{IMG}",
    )
    stakeholder = make_stakeholder(name=SCRIPT, notes=IMG)
    digest = make_digest(
        title=SCRIPT, intro=f"{IMG}\n\n{SCRIPT}", highlights=[highlight], stakeholders=[stakeholder]
    )
    pages = [
        reverse("highlights:list"),
        reverse("highlights:stakeholders"),
        reverse("highlights:stakeholder_detail", args=[stakeholder.pk]),
        reverse("highlights:digests"),
        reverse("highlights:digest_detail", args=[digest.pk]),
        reverse("highlights:digest_progress", args=[digest.pk]),
        reverse("highlights:digest_edit", args=[digest.pk]),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page


def test_slack_markup_in_a_digest_is_escaped(
    slack_server: SlackServer,
    smtp_server: SmtpServer,
    manager_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    anna = make_stakeholder(email="anna@example.com", preferred_channel=PreferredChannel.SLACK)
    digest = make_digest(
        title="Highlights",
        intro="<!channel> look: <https://evil.example|your payslip>",
        highlights=[make_highlight(story="<!everyone> &amp; more")],
        stakeholders=[anna],
        email_channel=email_channel(smtp_server),
        slack_channel=slack_channel(slack_server),
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)
    [post] = slack_server.posts
    body = " ".join(block["text"]["text"] for block in post["blocks"][1:])
    assert "<!channel>" not in body and "<!everyone>" not in body
    assert "<https://" not in body
    assert "&lt;!channel&gt;" in body


# --- CSRF and picture headers -----------------------------------------------------------


def test_changes_need_the_csrf_token(manager_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    highlight = make_highlight()
    digest = make_digest(highlights=[highlight], stakeholders=[make_stakeholder()])
    for url in (
        reverse("highlights:delete", args=[highlight.pk]),
        reverse("highlights:digest_send", args=[digest.pk]),
        reverse("highlights:stakeholder_create"),
    ):
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert digest.recipients.count() == 0


def test_channel_owners_cannot_post_to_the_forms(channel_owner_user: User, client_as: Any) -> None:
    client = client_as(channel_owner_user)
    highlight = make_highlight()
    stakeholder = make_stakeholder()
    digest = make_digest(highlights=[highlight], stakeholders=[stakeholder])
    for url in (
        reverse("highlights:create"),
        reverse("highlights:edit", args=[highlight.pk]),
        reverse("highlights:stakeholder_create"),
        reverse("highlights:stakeholder_edit", args=[stakeholder.pk]),
        reverse("highlights:digest_create"),
        reverse("highlights:digest_edit", args=[digest.pk]),
    ):
        assert client.post(url, {"title": "x", "name": "x"}).status_code == 403, url


def test_a_picture_is_served_as_an_image_that_cannot_run(
    manager_user: User, client_as: Any
) -> None:
    highlight = make_highlight(HighlightKind.PICTURE)
    answer = client_as(manager_user).get(reverse("highlights:picture", args=[highlight.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] in ("image/png", "image/jpeg", "image/webp")
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer["Content-Security-Policy"]
    assert answer["Cache-Control"].startswith("private")


# --- hostile pictures -------------------------------------------------------------------


def _with_exif() -> bytes:
    image = Image.new("RGB", (30, 20), "teal")
    exif = image.getexif()
    exif[0x0112] = 6  # orientation
    exif[0x010E] = "caption"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


SEEDS = [png_bytes(), jpeg_bytes(), _with_exif(), png_bytes(9, 9)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2000), st.integers(0, 255)), max_size=8
    ),
    cut=st.integers(min_value=0, max_value=2000),
)
def test_a_damaged_picture_is_refused_not_a_crash(
    seed: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(seed)
    for position, value in edits:
        if position < len(data):
            data[position] = value
    if cut:
        data = data[: max(8, len(data) - cut)]
    try:
        clean = image_clean(bytes(data))
    except ImageRefused:
        return
    assert clean.content_type in ("image/png", "image/jpeg", "image/webp")


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 5 * 1024 * 1024
    with pytest.raises(ImageRefused):
        image_clean(out.getvalue())


def test_a_picture_that_claims_to_be_something_else_is_refused() -> None:
    for data in (b"<svg onload=alert(1)>", b"GIF89a" + b"\x00" * 40, b"%PDF-1.4", b""):
        with pytest.raises(ImageRefused):
            image_clean(data)
    html_in_png = png_bytes() + b"<script>alert(1)</script>"
    clean = image_clean(html_in_png)
    assert b"<script>" not in clean.data
