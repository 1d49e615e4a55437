"""Planning a campaign through the pages: create it, fill the brief, add touches and their
messages, preview, submit, approve as the channel owner, launch, cancel."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from inward.audiences.models import Persona
from inward.audit.models import AuditEntry
from inward.campaigns.models import (
    ApprovalComment,
    ApprovalStatus,
    Campaign,
    CampaignPersona,
    CampaignStatus,
    Touch,
    Variant,
)
from inward.campaigns.tests.briefs import complete_brief
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.models import Channel, ChannelKind, Delivery, DeliveryStatus
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def shown_version(page: str, touch: Any) -> str:
    """The version of ``touch`` the approvals inbox put in its decision form."""
    form = re.search(
        rf'action="/campaigns/approvals/{touch.pk}/".*?name="version" value="(\w+)"', page
    )
    assert form is not None, "no decision form for the touch"
    return form.group(1)


def later(days: int) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def channel(channel_owner_user: Any) -> Channel:
    channel = make_channel(ChannelKind.EMAIL, name="Company e-mail")
    channel.owners.add(channel_owner_user)
    return channel


def test_it_plans_reviews_and_launches_a_campaign_through_the_pages(
    client_as: Any, manager_user: Any, channel_owner_user: Any, channel: Channel
) -> None:
    audience = make_audience()
    make_people(3)
    persona = Persona.objects.create(name="New seller", audience=audience)
    client = client_as(manager_user)

    # Given a new campaign
    response = client.post(
        "/campaigns/new/",
        {
            "name": "Security basics",
            "slug": "security-basics",
            "owner_team": "learning",
            "purpose": "educate",
            "audience": audience.pk,
            "time_zone": "Europe/Amsterdam",
            "starts_at": later(2),
            "ends_at": later(30),
        },
    )
    assert response["Location"] == "/campaigns/security-basics/brief/"
    campaign = Campaign.objects.get(slug="security-basics")
    assert campaign.created_by == manager_user

    # When the brief is filled, with what is in it for the persona
    response = client.post(
        "/campaigns/security-basics/brief/",
        {
            "brief_channels": "E-mail",
            "brief_engagement": "Sellers read e-mail at 8",
            "goal_metric": "Completions",
            "goal_target": "80%",
            "brief_duration": "Four weeks: the quarter's training window",
            f"wiifm_{persona.pk}": "Fewer phishing scares",
        },
    )
    assert response.status_code == 302
    assert CampaignPersona.objects.get(campaign=campaign).wiifm == "Fewer phishing scares"
    assert "The brief is complete" in text(client.get("/campaigns/security-basics/brief/"))

    # And a touch with its message
    response = client.post(
        "/campaigns/security-basics/touches/new/",
        {
            "name": "Kick-off",
            "channel": channel.pk,
            "stage": "awareness",
            "timing": "campaign_start",
            "offset_days": "0",
            "send_time": "09:00",
            "recipients": "audience",
            "condition": "all",
        },
    )
    touch = Touch.objects.get(campaign=campaign)
    assert response["Location"] == f"/campaigns/security-basics/touches/{touch.pk}/variants/new/"
    assert touch.scheduled_at is not None
    response = client.post(
        f"/campaigns/security-basics/touches/{touch.pk}/variants/new/",
        {
            "language": "",
            "subject": "Hi {{ person.first_name }}",
            "body": "You can [start](https://x.example/).",
        },
    )
    assert response.status_code == 302, text(response)
    assert Variant.objects.get(touch=touch).subject == "Hi {{ person.first_name }}"

    # And it is submitted for review
    response = client.post("/campaigns/security-basics/submit/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW, text(client.get(response["Location"]))

    # Then the channel owner finds it in the inbox and approves it
    owner = client_as(channel_owner_user)
    inbox = text(owner.get("/campaigns/approvals/"))
    assert "Kick-off" in inbox
    response = owner.post(
        f"/campaigns/approvals/{touch.pk}/",
        {"decision": "approve", "comment": "Looks good", "version": shown_version(inbox, touch)},
    )
    assert response["Location"] == "/campaigns/approvals/"
    touch.refresh_from_db()
    campaign.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.APPROVED
    assert campaign.status == CampaignStatus.APPROVED
    assert "Nothing waits for you" in text(owner.get("/campaigns/approvals/"))

    # And the planner launches it after confirming
    client = client_as(manager_user)
    assert "Yes, launch it" in text(client.get("/campaigns/security-basics/launch/"))
    client.post("/campaigns/security-basics/launch/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    page = text(client.get("/campaigns/security-basics/"))
    assert "campaign.launch" in page  # the audit trail
    assert 'hx-trigger="every 5s"' in page  # progress polls while it is under way


def test_it_shows_what_the_brief_still_misses(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    page = text(client_as(manager_user).get(f"/campaigns/{campaign.slug}/brief/"))
    assert "empty parts" in page
    assert "Goal metric" in page
    assert page.count("Still empty") == 6  # five parts of the brief and the personas
    assert "What&#x27;s in it for at least one persona" in page
    detail = text(client_as(manager_user).get(f"/campaigns/{campaign.slug}/"))
    assert "Before it can go to review" in detail
    assert "Add at least one touch." in detail


def test_it_refuses_to_submit_an_incomplete_campaign_and_says_why(
    client_as: Any, manager_user: Any
) -> None:
    campaign = make_campaign()
    client = client_as(manager_user)
    response = client.post(f"/campaigns/{campaign.slug}/submit/", follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "Goal metric" in text(response)


def test_it_keeps_the_form_and_names_the_field_when_a_slug_is_taken(
    client_as: Any, manager_user: Any
) -> None:
    make_campaign(slug="taken")
    response = client_as(manager_user).post(
        "/campaigns/new/",
        {"name": "X", "slug": "taken", "owner_team": "comms", "purpose": "inform",
         "time_zone": "Europe/Amsterdam"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Another campaign already uses this slug" in text(response)
    for reserved in ("calendar", "new", "approvals"):
        response = client_as(manager_user).post(
            "/campaigns/new/",
            {"name": "X", "slug": reserved, "owner_team": "comms", "purpose": "inform",
             "time_zone": "Europe/Amsterdam"},
        )  # fmt: skip
        assert "This slug is reserved" in text(response)


def test_it_reads_dates_in_the_campaigns_time_zone(client_as: Any, manager_user: Any) -> None:
    client_as(manager_user).post(
        "/campaigns/new/",
        {"name": "NY", "slug": "ny", "owner_team": "comms", "purpose": "inform",
         "time_zone": "America/New_York", "starts_at": "2026-07-01T09:00"},
    )  # fmt: skip
    starts = Campaign.objects.get(slug="ny").starts_at
    assert starts == dt.datetime(2026, 7, 1, 13, 0, tzinfo=dt.UTC)
    page = text(client_as(manager_user).get("/campaigns/ny/edit/"))
    assert 'value="2026-07-01T09:00"' in page


def test_it_edits_a_campaign_and_its_exclusions(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    other = make_audience()
    response = client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/edit/",
        {"name": "Renamed", "slug": "ignored", "owner_team": "marketing", "purpose": "inform",
         "audience": campaign.audience_id, "exclusions": [other.pk],
         "time_zone": "Europe/Amsterdam"},
    )  # fmt: skip
    assert response["Location"] == f"/campaigns/{campaign.slug}/"
    campaign.refresh_from_db()
    assert (campaign.name, campaign.owner_team) == ("Renamed", "marketing")
    assert list(campaign.exclusions.all()) == [other]


def test_it_refuses_to_leave_out_the_audience_itself(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    response = client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/edit/",
        {"name": "X", "owner_team": "comms", "purpose": "inform",
         "audience": campaign.audience_id, "exclusions": [campaign.audience_id],
         "time_zone": "Europe/Amsterdam"},
    )  # fmt: skip
    assert "The audience cannot also be left out" in text(response)


def test_it_moves_touches_up_and_down(client_as: Any, manager_user: Any, channel: Channel) -> None:
    campaign = make_campaign()
    first, _second, third = (make_touch(campaign, channel, name=n) for n in "ABC")
    client = client_as(manager_user)
    response = client.post(
        f"/campaigns/{campaign.slug}/touches/{third.pk}/move/", {"direction": "up"}
    )
    assert response["Location"].endswith(f"#touch-{third.pk}")
    client.post(f"/campaigns/{campaign.slug}/touches/{first.pk}/move/", {"direction": "down"})
    client.post(f"/campaigns/{campaign.slug}/touches/{first.pk}/move/", {"direction": "down"})
    order = list(campaign.touches.order_by("position").values_list("name", flat=True))
    assert order == ["C", "B", "A"]
    page = text(client.get(f"/campaigns/{campaign.slug}/"))
    assert page.count('name="direction" value="up"') == 2
    assert page.count('name="direction" value="down"') == 2


def test_it_edits_a_touch_with_a_condition_on_an_earlier_one(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    first = make_touch(campaign, channel, name="First")
    second = make_touch(campaign, channel, name="Reminder")
    url = f"/campaigns/{campaign.slug}/touches/{second.pk}/"
    page = text(client_as(manager_user).get(url))
    assert f'<option value="{first.pk}">' in page
    assert f'<option value="{second.pk}">' not in page  # not itself
    data = {
        "name": "Reminder", "channel": channel.pk, "stage": "interest", "timing": "after_previous",
        "offset_days": "3", "send_time": "10:00", "recipients": "audience",
        "condition": "not_opened",
    }  # fmt: skip
    response = client_as(manager_user).post(url, data)
    assert "Choose the earlier touch this depends on" in text(response)
    response = client_as(manager_user).post(url, {**data, "condition_touch": first.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.condition, second.condition_touch_id) == ("not_opened", first.pk)
    assert second.timing == "after_previous"


def test_it_asks_before_deleting_a_touch_and_names_those_that_depend_on_it(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    first = make_touch(campaign, channel, name="First")
    make_touch(campaign, channel, name="Reminder", condition="not_opened", condition_touch=first)
    url = f"/campaigns/{campaign.slug}/touches/{first.pk}/delete/"
    assert "Reminder" in text(client_as(manager_user).get(url))
    client_as(manager_user).post(url)
    assert list(campaign.touches.values_list("name", "condition")) == [("Reminder", "all")]


def test_it_shows_a_template_error_inline_with_its_line_and_saves_nothing(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, channel)
    response = client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/new/",
        {"language": "nl", "subject": "Hoi", "body": "Regel een\n\nHoi {{ person.shoe_size }}"},
    )
    assert response.status_code == 200
    page = text(response)
    assert "not saved" in page
    assert "line 3" in page.lower()
    assert not touch.variants.filter(language="nl").exists()


def test_it_previews_a_message_as_a_chosen_person(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, channel)
    person = Person.objects.create(email="zoe@example.com", first_name="Zoë", last_name="Bakker")
    url = f"/campaigns/{campaign.slug}/touches/{touch.pk}/preview/"
    response = client_as(manager_user).post(
        url,
        {"subject": "Hi {{ person.first_name }}", "body": "**You** can [go](https://x.example/)",
         "preview_person": person.pk},
    )  # fmt: skip
    page = text(response)
    assert "Preview for Zoë Bakker" in page
    assert "Hi Zoë" in page
    assert "<strong>You</strong>" in page
    broken = client_as(manager_user).post(
        url, {"subject": "Hi", "body": "one\n{% if %}", "preview_person": person.pk}
    )
    assert "Line 2" in text(broken)


def test_it_finds_people_to_preview_as(client_as: Any, manager_user: Any) -> None:
    Person.objects.create(email="zoe@example.com", first_name="Zoë", last_name="Bakker")
    page = text(client_as(manager_user).get("/campaigns/people/?person_q=bakk"))
    assert 'data-preview-name="Zoë Bakker · zoe@example.com"' in page
    assert "Nobody matches" in text(client_as(manager_user).get("/campaigns/people/?person_q=q"))


def test_it_previews_without_javascript_from_the_editor(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, channel)
    Person.objects.create(email="mona@example.com", first_name="Mona")
    response = client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/new/",
        {"language": "fy", "subject": "Hoi {{ person.first_name }}", "body": "Body",
         "action": "preview"},
    )  # fmt: skip
    assert "Hoi Mona" in text(response)  # the signed-in user's own record
    assert not touch.variants.filter(language="fy").exists()


def test_it_moves_an_edited_variant_to_its_new_language(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, channel)
    variant = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="Tekst")
    client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/{variant.pk}/",
        {"language": "fy", "subject": "Hoi", "body": "Tekst"},
    )
    assert sorted(touch.variants.values_list("language", flat=True)) == ["", "fy"]
    fy = touch.variants.get(language="fy")
    client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/{fy.pk}/", {"action": "delete"}
    )
    assert list(touch.variants.values_list("language", flat=True)) == [""]


def test_it_requires_a_comment_to_request_changes(
    client_as: Any, channel_owner_user: Any, channel: Channel
) -> None:
    campaign = complete_brief(make_campaign(status=CampaignStatus.IN_REVIEW))
    touch = make_touch(campaign, channel, approved=False)
    owner = client_as(channel_owner_user)
    version = shown_version(text(owner.get("/campaigns/approvals/")), touch)
    response = owner.post(
        f"/campaigns/approvals/{touch.pk}/",
        {"decision": "changes", "version": version},
        follow=True,
    )
    assert "Say what should change" in text(response)
    owner.post(
        f"/campaigns/approvals/{touch.pk}/",
        {"decision": "changes", "comment": "Shorter please", "version": version},
    )
    touch.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.CHANGES_REQUESTED
    assert ApprovalComment.objects.get(touch=touch).body == "Shorter please"
    page = text(owner.get(f"/campaigns/{campaign.slug}/"))
    assert "chris asked for changes: Shorter please" in page


def test_it_refuses_an_approval_of_words_changed_after_the_page_was_opened(
    client_as: Any, manager_user: Any, channel_owner_user: Any, channel: Channel
) -> None:
    campaign = complete_brief(make_campaign(status=CampaignStatus.IN_REVIEW))
    touch = make_touch(campaign, channel, approved=False, subject="Old words")
    owner = client_as(channel_owner_user)
    version = shown_version(text(owner.get("/campaigns/approvals/")), touch)
    fallback = touch.variants.get()
    client_as(manager_user).post(
        f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/{fallback.pk}/",
        {"language": "", "subject": "New words", "body": "Other words entirely."},
    )
    assert touch.variants.get().subject == "New words"
    owner = client_as(channel_owner_user)
    response = owner.post(
        f"/campaigns/approvals/{touch.pk}/",
        {"decision": "approve", "version": version},
        follow=True,
    )
    page = text(response)
    assert "This touch changed after you opened it; review it again." in page
    assert "New words" in page  # the fresh page shows what would be approved now
    touch.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.PENDING
    assert shown_version(page, touch) != version


def test_it_cancels_a_running_campaign_after_confirmation(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    touch = make_touch(campaign, channel)
    Delivery.objects.create(
        touch=touch, channel=channel, person=make_people(1)[0], due_at=timezone.now(),
        message_id="<x@example.com>",
    )  # fmt: skip
    client = client_as(manager_user)
    assert "This cannot be undone" in text(client.get(f"/campaigns/{campaign.slug}/cancel/"))
    client.post(f"/campaigns/{campaign.slug}/cancel/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert Delivery.objects.get().status == DeliveryStatus.CANCELLED
    assert AuditEntry.objects.filter(action="campaign.cancel").exists()


def test_it_refuses_to_launch_a_draft_and_says_so(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    client = client_as(manager_user)
    assert "This is not possible" in text(client.get(f"/campaigns/{campaign.slug}/launch/"))
    response = client.post(f"/campaigns/{campaign.slug}/launch/", follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "cannot be launched" in text(response)


def test_it_shows_delivery_counts_per_state(
    client_as: Any, admin_user: Any, channel: Channel
) -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    touch = make_touch(campaign, channel)
    for n, (person, status) in enumerate(
        zip(make_people(3), ["sent", "sent", "pending"], strict=True)
    ):
        Delivery.objects.create(
            touch=touch, channel=channel, person=person, due_at=timezone.now(), status=status,
            message_id=f"<{n}@example.com>",
        )  # fmt: skip
    page = text(client_as(admin_user).get(f"/campaigns/{campaign.slug}/progress/"))
    assert "2 of 3 deliveries done (66%)" in page
    assert 'max="3" value="2"' in page
    assert 'hx-trigger="every 5s"' in page
    campaign.status = CampaignStatus.COMPLETED
    campaign.save()
    page = text(client_as(admin_user).get(f"/campaigns/{campaign.slug}/progress/"))
    assert "hx-trigger" not in page  # polling stops once it is done


def test_it_shows_small_counts_to_planners_only_as_fewer_than_the_minimum(
    client_as: Any, manager_user: Any, admin_user: Any, channel: Channel, settings: Any
) -> None:
    settings.INWARD_MIN_GROUP_SIZE = 5
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    big, small = make_touch(campaign, channel, name="Big"), make_touch(campaign, channel)
    people = make_people(8)
    rows = [(big, p, "sent", True) for p in people[:7]] + [(small, people[7], "sent", True)]
    rows.append((big, people[7], "suppressed", False))
    for n, (touch, person, status, opened) in enumerate(rows):
        Delivery.objects.create(
            touch=touch, channel=channel, person=person, due_at=timezone.now(), status=status,
            message_id=f"<{n}@example.com>", opened_at=timezone.now() if opened else None,
            clicked_at=timezone.now() if n == 0 else None,
        )  # fmt: skip
    url = f"/campaigns/{campaign.slug}/progress/"
    page = text(client_as(manager_user).get(url))
    assert "8 of 9 deliveries done" not in page  # finished 9 of 9: nothing small overall
    assert "9 of 9 deliveries done (100%)" in page
    assert "8 opened, fewer than 5 clicked." in page
    assert "fewer than 5" in page and ">1<" not in page
    assert "Counts under 5 show as “fewer than 5”" in page
    exact = text(client_as(admin_user).get(url))
    assert "8 opened, 1 clicked." in exact and "fewer than" not in exact
    assert '<td class="text-end">1</td>' in exact
    detail = text(client_as(manager_user).get(f"/campaigns/{campaign.slug}/"))
    assert "8 opened, fewer than 5 clicked." in detail


def test_it_generates_a_launch_kit_from_an_external_campaign(
    client_as: Any, manager_user: Any
) -> None:
    make_channel(ChannelKind.EMAIL)
    make_channel(ChannelKind.CALENDAR)
    client = client_as(manager_user)
    response = client.post(
        "/campaigns/external/new/",
        {"name": "Spring sale", "slug": "spring-sale", "launch_at": "2026-05-01T10:00"},
    )
    assert response["Location"] == "/campaigns/external/spring-sale/launch-kit/"
    assert "Plan a campaign for this launch" in text(client.get(response["Location"]))
    campaign = make_campaign()
    response = client.post("/campaigns/external/spring-sale/launch-kit/", {"campaign": campaign.pk})
    assert response["Location"] == f"/campaigns/{campaign.slug}/"
    kit = list(campaign.touches.values_list("kit_role", flat=True))
    assert sorted(kit) == ["early_warning", "feedback", "launch_day", "manager_briefing"]
    before = {t.pk: t.scheduled_at for t in campaign.touches.all()}

    # Moving the launch moves the kit
    client.post(
        "/campaigns/external/spring-sale/",
        {"name": "Spring sale", "launch_at": "2026-05-08T10:00"},
    )
    for touch in campaign.touches.all():
        assert touch.scheduled_at - before[touch.pk] == dt.timedelta(days=7)


def test_it_lists_external_campaigns_and_teaches_the_first_one(
    client_as: Any, manager_user: Any
) -> None:
    assert "No external campaigns yet" in text(client_as(manager_user).get("/campaigns/external/"))


def test_it_shows_approvers_each_message_as_they_would_get_it(
    client_as: Any, channel_owner_user: Any, channel: Channel
) -> None:
    Person.objects.create(email="chris@example.com", first_name="Chris")
    campaign = complete_brief(make_campaign(status=CampaignStatus.IN_REVIEW))
    touch = make_touch(campaign, channel, approved=False, body="**Welcome**, {{ person.name }}")
    Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="{{ person.nope }}")
    page = text(client_as(channel_owner_user).get("/campaigns/approvals/"))
    assert "Hello Chris" in page
    assert "<strong>Welcome</strong>, Chris" in page
    assert "Unknown variable" in page  # an old variant that no longer compiles says why
    touch_page = text(
        client_as(channel_owner_user).get(f"/campaigns/{campaign.slug}/touches/{touch.pk}/")
    )
    assert "Hello Chris" in touch_page


def test_it_never_overwrites_another_message_of_the_same_language(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, channel)
    nl = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="Tekst")
    client = client_as(manager_user)
    url = f"/campaigns/{campaign.slug}/touches/{touch.pk}/variants/"
    response = client.post(f"{url}{nl.pk}/", {"language": "", "subject": "X", "body": "Y"})
    assert "already has a message for that language" in text(response)
    response = client.post(f"{url}new/", {"language": "nl", "subject": "X", "body": "Y"})
    assert "already has a message for that language" in text(response)
    assert sorted(touch.variants.values_list("subject", flat=True)) == [
        "Hello {{ person.first_name }}",
        "Hoi",
    ]


def test_it_offers_the_external_campaign_when_planning_for_a_launch(
    client_as: Any, manager_user: Any
) -> None:
    from inward.campaigns.models import ExternalCampaign

    external = ExternalCampaign.objects.create(slug="fair", name="Fair", launch_at=timezone.now())
    page = text(client_as(manager_user).get("/campaigns/new/?external=fair"))
    assert f'<option value="{external.pk}" selected>Fair</option>' in page


def test_it_reads_a_campaign_page_in_a_few_queries(
    client_as: Any, manager_user: Any, channel: Channel, django_assert_max_num_queries: Any
) -> None:
    campaign = complete_brief(make_campaign())
    for n in range(12):
        make_touch(campaign, channel, name=f"Touch {n}")
    client = client_as(manager_user)
    with django_assert_max_num_queries(15):
        response = client.get(f"/campaigns/{campaign.slug}/")
    assert text(response).count('class="card mb-2" id="touch-') == 12


def test_it_names_touches_on_blackout_days_before_launching(
    client_as: Any, manager_user: Any, channel: Channel
) -> None:
    from inward.campaigns.models import Blackout

    campaign = make_campaign(status=CampaignStatus.APPROVED, time_zone="Europe/Amsterdam")
    when = dt.datetime(2030, 4, 27, 9, tzinfo=dt.UTC)
    make_touch(campaign, channel, name="Party", send_at=when)
    Blackout.objects.create(date=dt.date(2030, 4, 27), reason="King's Day")
    page = text(client_as(manager_user).get(f"/campaigns/{campaign.slug}/launch/"))
    assert "Blackout day (King&#x27;s Day): move this touch before launching." in page
