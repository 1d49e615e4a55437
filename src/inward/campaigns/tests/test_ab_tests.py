"""A/B tests of a message: test versions (A, B, ...) through the form, the campaign file,
the API, the review after approval and the preview."""

from __future__ import annotations

import re
from typing import Any

import pytest

from inward.accounts.services import token_create
from inward.campaigns import services
from inward.campaigns.files import campaign_apply_file
from inward.campaigns.forms import VariantForm
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus, Touch, Variant
from inward.campaigns.tests.briefs import ready_campaign
from inward.campaigns.tests.factories import make_campaign, make_channel, make_touch
from inward.campaigns.variants import variant_for
from inward.delivery.models import ChannelKind
from inward.directory.models import Person

pytestmark = pytest.mark.django_db

AB_FILE = """\
slug: spring
name: Spring
owner_team: comms
purpose: inform
audience: {rule: 'department = "Sales"'}
starts: 2031-03-03T09:00
time_zone: Europe/Amsterdam
touches:
  - key: hello
    channel: mail
    after_start: {days: 0, time: "10:00"}
    variants:
      - arm: A
        subject: Spring is here
        body: Short and plain.
      - arm: b
        subject: "{{ person.first_name }}, spring is here"
        body: Personal.
"""


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_variant_form_offers_test_versions_and_explains_them() -> None:
    form = VariantForm({"language": "", "arm": "B", "subject": "S", "body": "B"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["arm"] == "B"
    assert "A/B test" in str(form.fields["arm"].help_text)
    assert not VariantForm({"arm": "E", "subject": "S", "body": "B"}).is_valid()
    plain = VariantForm({"subject": "S", "body": "B"})
    assert plain.is_valid() and plain.cleaned_data["arm"] == ""


def test_it_adds_version_b_through_the_editor_and_lists_both(
    client_as: Any, manager_user: Any
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel())
    page = client_as(manager_user)
    page.post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/new/",
        {"language": "", "arm": "B", "subject": "Other words", "body": "Version B"},
    )
    assert sorted(touch.variants.values_list("arm", flat=True)) == ["", "B"]
    journey = text(page.get(f"/campaigns/{campaign.slug}/"))
    assert "A/B test" not in journey  # "" and B: only one test version so far
    touch.variants.filter(arm="").update(arm="A")
    journey = text(page.get(f"/campaigns/{campaign.slug}/"))
    assert "A/B test, 2 versions" in journey
    touch_page = text(page.get(f"/campaigns/{campaign.slug}/touches/{touch.pk}/"))
    assert "version A" in touch_page and "version B" in touch_page


def test_adding_version_b_after_approval_sends_the_campaign_back_to_review(
    manager_user: Any,
) -> None:
    campaign = ready_campaign(status=CampaignStatus.APPROVED)
    channel = make_channel()
    touch, other = make_touch(campaign, channel), make_touch(campaign, channel)
    services.variant_save(
        actor=manager_user, touch=touch, language="", persona=None, arm="B",
        subject="Hello {{ person.first_name }}", body="Version B",
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    statuses = dict(campaign.touches.values_list("pk", "approval_status"))
    assert statuses == {touch.pk: ApprovalStatus.PENDING, other.pk: ApprovalStatus.APPROVED}


def test_the_approval_version_changes_when_a_test_version_is_added_or_renamed(
    manager_user: Any,
) -> None:
    from inward.campaigns.selectors import touch_version

    campaign = make_campaign()
    touch = make_touch(campaign, make_channel())
    before = touch_version(Touch.objects.get(pk=touch.pk))
    b = services.variant_save(
        actor=manager_user, touch=touch, language="", persona=None, arm="B",
        subject="S", body="B",
    )  # fmt: skip
    with_b = touch_version(Touch.objects.get(pk=touch.pk))
    assert with_b != before
    Variant.objects.filter(pk=b.pk).update(arm="C")  # even without a new updated_at
    assert touch_version(Touch.objects.get(pk=touch.pk)) != with_b


def test_a_campaign_file_adds_test_versions_and_matches_them_again() -> None:
    make_channel(ChannelKind.EMAIL, slug="mail")
    campaign_apply_file(path_or_text=AB_FILE, actor=None)
    touch = Campaign.objects.get(slug="spring").touches.get()
    assert sorted(touch.variants.values_list("arm", "body")) == [
        ("A", "Short and plain."),
        ("B", "Personal."),
    ]
    again = campaign_apply_file(path_or_text=AB_FILE, actor=None)
    assert again.unchanged
    changed = campaign_apply_file(
        path_or_text=AB_FILE.replace("Personal.", "Very personal."), actor=None
    )
    assert changed.changes == ["touch hello: words for fallback version B"]
    assert touch.variants.get(arm="A").body == "Short and plain."


def test_a_campaign_file_reports_an_unknown_test_version() -> None:
    from inward.campaigns.errors import CampaignFileError

    make_channel(ChannelKind.EMAIL, slug="mail")
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=AB_FILE.replace("arm: b", "arm: e"), actor=None)
    assert caught.value.problems == [
        'touches[0].variants[1].arm: "E" is not one of: A, B, C, D (line 16)'
    ]


def test_the_api_saves_and_shows_test_versions(client: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=manager_user, name='t').secret}"}
    saved = client.put(
        f"/api/v1/campaigns/{campaign.slug}/touches/{touch.pk}/variants",
        data={"arm": "B", "subject": "Other", "body": "Version B"},
        content_type="application/json",
        **auth,
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["arm"] == "B"
    detail = client.get(f"/api/v1/campaigns/{campaign.slug}", **auth).json()
    assert sorted(v["arm"] for v in detail["touches"][0]["variants"]) == ["", "B"]
    wrong = client.put(
        f"/api/v1/campaigns/{campaign.slug}/touches/{touch.pk}/variants",
        data={"arm": "Z", "subject": "S", "body": "B"},
        content_type="application/json",
        **auth,
    )
    assert wrong.status_code in (400, 422)


def test_the_preview_says_which_version_the_person_gets(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel())
    touch.variants.update(arm="A")
    Variant.objects.create(touch=touch, language="", arm="B", subject="B", body="Version B")
    people = [
        Person.objects.create(email=f"p{i}@example.com", first_name=f"P{i}") for i in range(8)
    ]
    page = client_as(manager_user)
    for person in people:
        expected = variant_for(
            list(touch.variants.all()), language="", persona_id=None,
            split_key=f"{touch.pk}:{person.pk}",
        ).arm  # fmt: skip
        response = page.post(
            f"/campaigns/{campaign.slug}/touches/{touch.pk}/preview/",
            {"subject": "S", "body": "B", "preview_person": person.pk},
        )
        assert f"{person.display_name} gets version {expected}." in text(response)


def test_the_preview_names_the_version_the_outbox_writes_also_for_a_persona(
    client_as: Any, manager_user: Any
) -> None:
    from inward.audiences.models import Persona
    from inward.campaigns.tests.factories import make_audience, make_people
    from inward.delivery.materialise import touch_materialise
    from inward.delivery.models import Delivery

    campaign = make_campaign(
        audience=make_audience('department = "Sales"'), status=CampaignStatus.SCHEDULED
    )
    touch = make_touch(campaign, make_channel())
    persona = Persona.objects.create(name="Sellers", audience=make_audience('site = "Sneek"'))
    for arm in "AB":
        Variant.objects.create(
            touch=touch, language="", persona=persona, arm=arm, subject=arm, body=arm
        )
    people = make_people(6, site="Sneek")
    touch_materialise(touch=touch)
    arms = dict(Delivery.objects.filter(touch=touch).values_list("person_id", "variant__arm"))
    page = client_as(manager_user)
    for person in people:
        response = page.post(
            f"/campaigns/{campaign.slug}/touches/{touch.pk}/preview/",
            {"subject": "S", "body": "B", "preview_person": person.pk},
        )
        assert f"gets version {arms[person.pk]}." in text(response)
