"""Round-2 review fixes: "Compose a digest" links preselect the overdue stakeholders, the
cadence reads "every N days", the forms' checkboxes and empty campaign choice, the digest
badge that follows the progress refresh, the stakeholder list's Status column first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from inward.highlights.images import ImageRefused, image_clean
from inward.highlights.models import DigestRecipient, DigestStatus, HighlightKind, RecipientStatus
from inward.highlights.selectors import stakeholder_ids
from inward.highlights.tests.factories import (
    local_days_ago,
    make_digest,
    make_highlight,
    make_receipt,
    make_stakeholder,
    png_bytes,
)

pytestmark = pytest.mark.django_db

NEW_DIGEST = "/highlights/digests/new/"


def checked_stakeholders(html: str) -> set[str]:
    """The values of the ticked boxes of the digest form's "stakeholders" field."""
    boxes = re.findall(r'<input type="checkbox" name="stakeholders"[^>]*>', html)
    return {re.search(r'value="(\d+)"', box).group(1) for box in boxes if " checked" in box}  # type: ignore[union-attr]


def render_warning(user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load highlights_tags %}{% cadence_warning %}")
    return template.render(Context({"request": request}))


# --- preselected stakeholders ----------------------------------------------------------------


def test_compose_ticks_the_stakeholders_the_link_names(manager_user: Any, client_as: Any) -> None:
    anna, bram, cees = (make_stakeholder(name=name) for name in ("Anna", "Bram", "Cees"))

    html = (
        client_as(manager_user)
        .get(f"{NEW_DIGEST}?stakeholder={anna.pk}&stakeholder={cees.pk}")
        .text
    )

    assert checked_stakeholders(html) == {str(anna.pk), str(cees.pk)}
    assert str(bram.pk) not in checked_stakeholders(html)


def test_compose_ignores_ids_that_are_no_stakeholder(manager_user: Any, client_as: Any) -> None:
    anna = make_stakeholder(name="Anna")
    query = (
        f"stakeholder={anna.pk}&stakeholder=999999&stakeholder=x&stakeholder=%C2%B2&stakeholder="
    )

    response = client_as(manager_user).get(f"{NEW_DIGEST}?{query}")

    assert response.status_code == 200
    assert checked_stakeholders(response.text) == {str(anna.pk)}


def test_compose_without_a_stakeholder_in_the_link_ticks_nobody(
    manager_user: Any, client_as: Any
) -> None:
    make_stakeholder(name="Anna")

    assert checked_stakeholders(client_as(manager_user).get(NEW_DIGEST).text) == set()


def test_stakeholder_ids_keeps_existing_ids_once_in_order() -> None:
    anna, bram = make_stakeholder(), make_stakeholder()
    given = [str(bram.pk), "0", str(anna.pk), str(bram.pk), "-1", "9" * 30]

    assert stakeholder_ids(given) == [bram.pk, anna.pk]


def test_the_home_warning_links_to_a_digest_for_every_overdue_stakeholder(
    manager_user: Any,
) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=200)
    bram = make_stakeholder(name="Bram", cadence_days=1, added_days_ago=3)
    make_stakeholder(name="Cees", cadence_days=30, added_days_ago=2)  # on track
    make_receipt(anna, sent_at=local_days_ago(45))

    html = render_warning(manager_user)

    link = re.search(r'href="(/highlights/digests/new/[^"]*)"', html)
    assert link is not None
    ids = re.findall(r"stakeholder=(\d+)", link.group(1))
    assert sorted(ids) == sorted([str(anna.pk), str(bram.pk)])
    assert "45 days without news; cadence: every 30 days" in html
    assert "nothing yet, added 3 days ago; cadence: every day" in html
    assert "cadence 1" not in html


def test_the_home_warning_offers_no_digest_to_someone_who_cannot_send_one(
    channel_owner_user: Any,
) -> None:
    make_stakeholder(name="Anna", cadence_days=1, added_days_ago=10)

    html = render_warning(channel_owner_user)

    assert "Anna" in html
    assert NEW_DIGEST not in html


def test_the_stakeholder_page_preselects_them_and_says_the_cadence_plainly(
    manager_user: Any, client_as: Any
) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=1, added_days_ago=3)

    html = (
        client_as(manager_user).get(reverse("highlights:stakeholder_detail", args=[anna.pk])).text
    )

    assert f'href="{NEW_DIGEST}?stakeholder={anna.pk}"' in html
    assert "3 days without news. They should hear from the team every day." in html
    assert "cadence of" not in html and "1 days" not in html


def test_the_stakeholder_list_shows_status_before_the_other_columns(
    manager_user: Any, client_as: Any
) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=200)
    make_receipt(anna, sent_at=local_days_ago(45))
    make_stakeholder(name="Bram", cadence_days=1)

    html = client_as(manager_user).get(reverse("highlights:stakeholders")).text

    headings = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headings[:2] == ["Name", "Status"]
    assert "every 30 days" in html and "every day" in html
    assert 'data-label="Status"' in html and "table-stack" in html


# --- forms -------------------------------------------------------------------------------------


def test_the_digest_form_draws_bootstrap_checkboxes(manager_user: Any, client_as: Any) -> None:
    make_highlight(title="Enrolments")
    make_stakeholder(name="Anna")

    html = client_as(manager_user).get(NEW_DIGEST).text

    boxes = re.findall(r'<input type="checkbox" name="(?:highlights|stakeholders)"[^>]*>', html)
    assert len(boxes) == 2
    assert all('class="form-check-input"' in box for box in boxes)


def test_the_highlight_forms_empty_campaign_choice_says_no_campaign(
    manager_user: Any, client_as: Any
) -> None:
    html = client_as(manager_user).get(reverse("highlights:create")).text

    assert re.search(r'<option value="" selected>No campaign</option>', html)
    assert "---------" not in html


def test_the_card_actions_do_not_stretch_the_edit_button(manager_user: Any, client_as: Any) -> None:
    make_highlight(HighlightKind.QUOTE, title="In their words")

    html = client_as(manager_user).get(reverse("highlights:list")).text

    assert 'class="card-body pt-0 flex-grow-0 d-flex flex-wrap align-items-start gap-2"' in html


# --- the digest badge ---------------------------------------------------------------------------


def test_the_progress_refresh_brings_the_heading_badge_along(
    manager_user: Any, client_as: Any
) -> None:
    anna = make_stakeholder(name="Anna")
    digest = make_digest(stakeholders=[anna], status=DigestStatus.SENDING)
    DigestRecipient.objects.create(
        digest=digest, stakeholder=anna, channel_kind="email", status=RecipientStatus.PENDING
    )
    client = client_as(manager_user)

    page = client.get(reverse("highlights:digest_detail", args=[digest.pk])).text
    sending = client.get(reverse("highlights:digest_progress", args=[digest.pk])).text
    DigestRecipient.objects.update(status=RecipientStatus.SENT)
    type(digest).objects.filter(pk=digest.pk).update(status=DigestStatus.SENT)
    sent = client.get(reverse("highlights:digest_progress", args=[digest.pk])).text

    assert re.search(r'<span id="digest-status" class="[^"]*">Sending</span>', page)
    assert 'hx-swap-oob="true">Sending</span>' in sending and 'hx-trigger="every 3s"' in sending
    assert re.search(
        r'<span id="digest-status" class="[^"]*text-bg-success"[^>]*>Sent</span>', sent
    )
    assert 'hx-swap-oob="true"' in sent and "hx-trigger" not in sent


# --- pictures -----------------------------------------------------------------------------------


def test_a_png_whose_chunks_break_off_is_refused_not_an_error() -> None:
    mangled = png_bytes(50, 50)[:108] + b"\x02M\x08<p" + bytes(12)

    with pytest.raises(ImageRefused):
        image_clean(mangled)
