"""The pages: who may see and change what, uploads, the stakeholder page, composing,
previewing and sending a digest through the views."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inward.campaigns.tests.factories import make_campaign, make_channel
from inward.delivery.models import ChannelKind
from inward.delivery.tests.servers import SmtpServer
from inward.highlights.images import MAX_BYTES
from inward.highlights.models import (
    Digest,
    DigestStatus,
    Highlight,
    HighlightKind,
    Stakeholder,
    StakeholderContact,
)
from inward.highlights.tests.factories import (
    jpeg_bytes,
    local_days_ago,
    make_digest,
    make_highlight,
    make_receipt,
    make_stakeholder,
    png_bytes,
)

pytestmark = pytest.mark.django_db


def urls() -> dict[str, list[str]]:
    """Every page, by what it needs: reading, or editing (GET forms and POST actions)."""
    highlight = make_highlight(HighlightKind.PICTURE)
    stakeholder = make_stakeholder()
    digest = make_digest(highlights=[highlight], stakeholders=[stakeholder])
    h, s, d = highlight.pk, stakeholder.pk, digest.pk
    return {
        "read": [
            reverse("highlights:list"),
            reverse("highlights:picture", args=[h]),
            reverse("highlights:stakeholders"),
            reverse("highlights:stakeholder_detail", args=[s]),
            reverse("highlights:digests"),
            reverse("highlights:digest_detail", args=[d]),
            reverse("highlights:digest_progress", args=[d]),
        ],
        "edit_get": [
            reverse("highlights:create"),
            reverse("highlights:edit", args=[h]),
            reverse("highlights:stakeholder_create"),
            reverse("highlights:stakeholder_edit", args=[s]),
            reverse("highlights:digest_create"),
            reverse("highlights:digest_edit", args=[d]),
        ],
        "edit_post": [
            reverse("highlights:pin", args=[h]),
            reverse("highlights:delete", args=[h]),
            reverse("highlights:stakeholder_detail", args=[s]),
            reverse("highlights:stakeholder_delete", args=[s]),
            reverse("highlights:digest_send", args=[d]),
            reverse("highlights:digest_retry", args=[d]),
            reverse("highlights:digest_delete", args=[d]),
        ],
    }


def test_employees_get_403_everywhere(employee_user: Any, client_as: Any) -> None:
    client = client_as(employee_user)
    pages = urls()
    for url in pages["read"] + pages["edit_get"]:
        assert client.get(url).status_code == 403, url
    for url in pages["edit_post"]:
        assert client.post(url).status_code == 403, url
    assert Digest.objects.get().status == DigestStatus.DRAFT


def test_channel_owners_read_but_change_nothing(channel_owner_user: Any, client_as: Any) -> None:
    client = client_as(channel_owner_user)
    pages = urls()
    for url in pages["read"]:
        assert client.get(url).status_code == 200, url
    for url in pages["edit_get"]:
        assert client.get(url).status_code == 403, url
    for url in pages["edit_post"]:
        assert client.post(url, {"contacted_on": "2026-01-01"}).status_code == 403, url
    assert Highlight.objects.count() == 1 and Stakeholder.objects.count() == 1
    assert StakeholderContact.objects.count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get(reverse("highlights:picture", args=[make_highlight().pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["manager_user", "admin_user"])
def test_managers_and_admins_see_every_page(role: str, request: Any, client_as: Any) -> None:
    client = client_as(request.getfixturevalue(role))
    pages = urls()
    for url in pages["read"] + pages["edit_get"]:
        assert client.get(url).status_code == 200, url


def test_empty_pages_say_what_to_do(manager_user: Any, client_as: Any) -> None:
    client = client_as(manager_user)

    assert "pin the first result worth telling" in client.get(reverse("highlights:list")).text
    assert "add the leaders who decide" in client.get(reverse("highlights:stakeholders")).text
    assert "tell your stakeholders what" in client.get(reverse("highlights:digests")).text


# --- Highlights ------------------------------------------------------------------------------


def post_highlight(client: Any, **fields: Any) -> Any:
    data = {"kind": "number", "title": "Enrolments", "pinned": "on"} | fields
    return client.post(reverse("highlights:create"), data)


def test_pinning_a_number_from_the_campaign_results(manager_user: Any, client_as: Any) -> None:
    campaign = make_campaign(slug="data-skills", name="Data skills")
    client = client_as(manager_user)

    form = client.get(reverse("highlights:create") + "?campaign=data-skills")
    assert 'value="data-skills" selected' in form.text

    response = post_highlight(
        client, number_value="312", number_label="enrolled", campaign="data-skills"
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("highlights:list") + "?campaign=data-skills"
    highlight = Highlight.objects.get()
    assert (highlight.number_value, highlight.campaign, highlight.created_by) == (
        "312",
        campaign,
        manager_user,
    )
    listing = client.get(response["Location"]).text
    assert "Highlights of “Data skills”" in listing and "312" in listing


def test_a_quote_needs_its_words(manager_user: Any, client_as: Any) -> None:
    response = post_highlight(client_as(manager_user), kind="quote", quote_text=" ")

    assert response.status_code == 200
    assert "Write the quote." in response.text
    assert not Highlight.objects.exists()


def test_uploading_a_picture_stores_a_clean_copy_served_only_to_readers(
    manager_user: Any, channel_owner_user: Any, client: Any
) -> None:
    client.force_login(manager_user)
    upload = SimpleUploadedFile("photo.jpg", jpeg_bytes(64, 48), content_type="image/jpeg")

    response = post_highlight(
        client, kind="picture", title="Kick-off", picture=upload, image_alt="A full room"
    )

    assert response.status_code == 302
    highlight = Highlight.objects.get()
    assert (highlight.image_type, highlight.image_width, highlight.image_height) == (
        "image/jpeg",
        64,
        48,
    )
    client.force_login(channel_owner_user)
    picture = client.get(reverse("highlights:picture", args=[highlight.pk]))
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/jpeg"
    assert picture["Cache-Control"] == "private, max-age=3600"
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in picture["Content-Security-Policy"]
    assert picture.content == bytes(highlight.image)


def test_a_non_image_upload_is_refused_with_a_reason(manager_user: Any, client_as: Any) -> None:
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")

    response = post_highlight(client_as(manager_user), kind="picture", picture=fake)

    assert response.status_code == 200
    assert "Upload a PNG, JPEG or WebP picture." in response.text
    assert not Highlight.objects.exists()


def test_an_oversized_upload_is_refused(manager_user: Any, client_as: Any) -> None:
    big = SimpleUploadedFile("big.png", png_bytes() + b"\x00" * MAX_BYTES)

    response = post_highlight(client_as(manager_user), kind="picture", picture=big)

    assert response.status_code == 200
    assert "larger than 5 MB" in response.text
    assert not Highlight.objects.exists()


def test_a_picture_highlight_without_a_picture_is_refused(
    manager_user: Any, client_as: Any
) -> None:
    response = post_highlight(client_as(manager_user), kind="picture")

    assert "Choose a picture to upload." in response.text


def test_editing_a_picture_highlight_keeps_the_picture(manager_user: Any, client_as: Any) -> None:
    highlight = make_highlight(HighlightKind.PICTURE)
    before = bytes(highlight.image)

    response = client_as(manager_user).post(
        reverse("highlights:edit", args=[highlight.pk]),
        {"kind": "picture", "title": "Renamed", "pinned": "on"},
    )

    assert response.status_code == 302
    highlight.refresh_from_db()
    assert highlight.title == "Renamed" and bytes(highlight.image) == before


def test_unpinned_highlights_leave_the_pinned_list(manager_user: Any, client_as: Any) -> None:
    highlight = make_highlight(title="Old news")
    client = client_as(manager_user)

    response = client.post(reverse("highlights:pin", args=[highlight.pk]), {"pinned": "0"})
    assert "unpinned" in client.get(response["Location"]).text  # the message, shown once

    assert "Old news" not in client.get(reverse("highlights:list")).text
    assert "Old news" in client.get(reverse("highlights:list") + "?show=all").text


# --- Stakeholders ----------------------------------------------------------------------------


def test_adding_a_stakeholder(manager_user: Any, client_as: Any) -> None:
    data = {
        "name": "Anna de Vries",
        "email": "anna@example.com",
        "slack": "U0ANNA1",
        "preferred_channel": "slack",
        "cadence_days": "30",
        "notes": "Decides the L&D budget.",
    }
    response = client_as(manager_user).post(reverse("highlights:stakeholder_create"), data)

    anna = Stakeholder.objects.get()
    assert response["Location"] == reverse("highlights:stakeholder_detail", args=[anna.pk])
    assert (anna.slack, anna.cadence_days) == ("U0ANNA1", 30)


def test_a_stakeholder_needs_a_unique_address_and_a_sane_slack_id(
    manager_user: Any, client_as: Any
) -> None:
    make_stakeholder(email="anna@example.com")
    data = {"name": "A", "email": "ANNA@example.com", "slack": "#general"}
    data |= {"preferred_channel": "email", "cadence_days": "0"}

    response = client_as(manager_user).post(reverse("highlights:stakeholder_create"), data)

    assert "A stakeholder with this e-mail address exists." in response.text
    assert "Enter a Slack ID" in response.text
    assert "greater than or equal to 1" in response.text
    assert Stakeholder.objects.count() == 1


def test_the_stakeholder_list_puts_the_most_overdue_first_and_can_sort_by_name(
    manager_user: Any, client_as: Any
) -> None:
    for name, days in (("Anna", 45), ("Bram", 5), ("Cees", 90)):
        person = make_stakeholder(name=name, cadence_days=30, added_days_ago=200)
        make_receipt(person, sent_at=local_days_ago(days))
    client = client_as(manager_user)

    by_overdue = client.get(reverse("highlights:stakeholders")).text
    by_name = client.get(reverse("highlights:stakeholders") + "?sort=name").text

    assert by_overdue.index("Cees") < by_overdue.index("Anna") < by_overdue.index("Bram")
    assert by_name.index("Anna") < by_name.index("Bram") < by_name.index("Cees")
    assert "overdue by 60 days" in by_overdue and "on track" in by_overdue


def test_logging_a_contact_updates_last_heard(manager_user: Any, client_as: Any) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=100)
    client = client_as(manager_user)
    url = reverse("highlights:stakeholder_detail", args=[anna.pk])
    assert "100 days without news" in client.get(url).text

    today = timezone.localdate()
    response = client.post(url, {"contacted_on": today.isoformat(), "note": "Quarterly review"})

    assert response.status_code == 302
    page = client.get(url).text
    assert "without news" not in page
    assert "Quarterly review" in page
    assert "0 days ago" in page


def test_a_contact_cannot_be_in_the_future(manager_user: Any, client_as: Any) -> None:
    anna = make_stakeholder()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = client_as(manager_user).post(
        reverse("highlights:stakeholder_detail", args=[anna.pk]),
        {"contacted_on": tomorrow.isoformat()},
    )

    assert "cannot be in the future" in response.text
    assert not StakeholderContact.objects.exists()


# --- Digests ---------------------------------------------------------------------------------


def test_compose_preview_and_send_a_digest(
    manager_user: Any,
    client_as: Any,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = make_channel(
        ChannelKind.EMAIL,
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    number = make_highlight(title="Enrolments")
    picture = make_highlight(HighlightKind.PICTURE, title="Kick-off")
    anna = make_stakeholder(name="Anna", email="anna@example.com", added_days_ago=60)
    client = client_as(manager_user)

    response = client.post(
        reverse("highlights:digest_create"),
        {
            "title": "Learning highlights, March",
            "intro": "Good news.",
            "highlights": [number.pk, picture.pk],
            "stakeholders": [anna.pk],
            "email_channel": channel.pk,
        },
    )
    digest = Digest.objects.get()
    assert response["Location"] == reverse("highlights:digest_detail", args=[digest.pk])

    preview = client.get(response["Location"]).text
    assert "<strong>312</strong> enrolled in the first week" in preview
    assert f'src="{reverse("highlights:picture", args=[picture.pk])}"' in preview
    assert "Send to 1 stakeholder" in preview

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("highlights:digest_send", args=[digest.pk]))
    assert sent.status_code == 302

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["anna@example.com"]
    page = client.get(reverse("highlights:digest_detail", args=[digest.pk])).text
    assert "Sent" in page and "Anna" in page
    stakeholder_page = client.get(reverse("highlights:stakeholder_detail", args=[anna.pk])).text
    assert "Learning highlights, March" in stakeholder_page
    assert "without news" not in stakeholder_page


def test_a_sent_digest_can_no_longer_be_edited(manager_user: Any, client_as: Any) -> None:
    digest = make_digest(status=DigestStatus.SENT, title="Gone out")

    response = client_as(manager_user).post(
        reverse("highlights:digest_edit", args=[digest.pk]), {"title": "Changed"}
    )

    assert response.status_code == 302
    digest.refresh_from_db()
    assert digest.title == "Gone out"


def test_a_digest_without_stakeholders_shows_what_is_missing(
    manager_user: Any, client_as: Any
) -> None:
    digest = make_digest(highlights=[make_highlight()])

    page = client_as(manager_user).get(reverse("highlights:digest_detail", args=[digest.pk])).text

    assert "Choose at least one stakeholder." in page
    assert "Send to" not in page


def test_the_list_pages_take_a_fixed_number_of_queries(
    manager_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_as(manager_user)
    for _ in range(5):
        person = make_stakeholder()
        make_receipt(person, sent_at=timezone.now())
        make_highlight(campaign=make_campaign())
    with django_assert_max_num_queries(12):
        client.get(reverse("highlights:stakeholders"))
    with django_assert_max_num_queries(12):
        client.get(reverse("highlights:list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("highlights:digests"))
