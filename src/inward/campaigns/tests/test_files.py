from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from inward.audiences.models import Audience, Persona
from inward.campaigns.errors import CampaignFileError
from inward.campaigns.files import campaign_apply_file
from inward.campaigns.models import (
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Condition,
    Timing,
)
from inward.campaigns.tests.factories import make_channel
from inward.delivery.models import ChannelKind

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[4] / "docs/examples/onboarding-campaign.yaml"

SMALL = """\
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
    after_start: {days: 0, time: 10:00}
    variants:
      - subject: Hello {{ person.first_name }}
        body: Spring is here.
  - key: again
    channel: mail
    after_previous: {days: 2, time: "09:00"}
    condition: {if: not_clicked, touch: hello}
    variants:
      - subject: Again
        body: Still spring.
"""


@pytest.fixture
def channels() -> None:
    make_channel(ChannelKind.EMAIL, slug="mail")
    make_channel(ChannelKind.EMAIL, slug="demo-email")
    make_channel(ChannelKind.INTRANET, slug="demo-feed")


def test_it_applies_the_documented_example(channels: None) -> None:
    Audience.objects.create(slug="new-starters", name="New starters", rule="tenure < 90d")
    Persona.objects.create(name="New starter Noah")
    report = campaign_apply_file(path_or_text=EXAMPLE, actor=None)
    assert report.created
    campaign = Campaign.objects.get(slug="onboarding-new-starters")
    touches = list(campaign.touches.order_by("position"))
    assert [t.name for t in touches] == ["Welcome e-mail", "Code of conduct", "Course reminder"]
    assert touches[0].local_time and touches[1].critical and touches[1].mandatory
    assert (touches[2].condition, touches[2].condition_touch) == (Condition.NOT_OPENED, touches[0])
    assert sorted(touches[0].variants.values_list("language", flat=True)) == ["", "nl"]
    assert touches[2].scheduled_at == dt.datetime(
        2026, 1, 9, 8, 30, tzinfo=dt.UTC
    )  # 09:30 CET, 3 days after the 6th


def test_it_changes_nothing_when_applied_twice(channels: None) -> None:
    first = campaign_apply_file(path_or_text=SMALL, actor=None)
    second = campaign_apply_file(path_or_text=SMALL, actor=None)
    assert first.created and not first.unchanged
    assert second.unchanged
    assert second.summary() == "campaign spring: unchanged"
    campaign = Campaign.objects.get(slug="spring")
    assert campaign.touches.count() == 2
    assert campaign.audience is not None and campaign.audience.slug == "spring-audience"


def test_it_leaves_a_running_campaign_alone_when_nothing_changed(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    Campaign.objects.filter(slug="spring").update(status=CampaignStatus.RUNNING)
    assert campaign_apply_file(path_or_text=SMALL, actor=None).unchanged
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=SMALL.replace("Still spring.", "Summer."), actor=None)
    assert caught.value.problems == [
        "touches[1].variants[0]: A campaign that is running can no longer be changed. (line 20)"
    ]


def test_it_reads_an_unquoted_clock_time(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    hello = Campaign.objects.get(slug="spring").touches.get(name="hello")
    assert (hello.timing, hello.send_time) == (Timing.CAMPAIGN_START, dt.time(10, 0))


def test_it_reports_every_problem_with_its_path_and_line(channels: None) -> None:
    text = SMALL.replace("channel: mail\n    after_previous", "channel: x\n    after_previous")
    text = text.replace("purpose: inform", "purpose: amuse")
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=text, actor=None)
    assert caught.value.problems == [
        'purpose: "amuse" is not one of: educate, inform, persuade (line 4)',
        'touches[1].channel: no channel with slug "x" (line 16)',
    ]
    assert not Campaign.objects.exists()
    assert not Audience.objects.exists()


def test_it_reports_template_problems_and_writes_nothing(channels: None) -> None:
    text = SMALL.replace("body: Still spring.", "body: Still {{ person.salary }}.")
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=text, actor=None)
    [problem] = caught.value.problems
    assert problem.startswith("touches[1].variants[0].body: Unknown variable")
    assert problem.endswith("(line 21)")
    assert not Campaign.objects.exists()


def test_it_counts_template_lines_inside_a_block(channels: None) -> None:
    text = SMALL.replace(
        "body: Still spring.", "body: |\n          Still spring.\n\n          {{ nope }}"
    )
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=text, actor=None)
    assert caught.value.problems[0].endswith("(line 24)")


def test_it_says_what_is_missing_once(channels: None) -> None:
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text="slug: x\nname: X\nowner_team: comms\n", actor=None)
    assert caught.value.problems == ["purpose: missing"]


def test_it_refuses_text_that_is_not_yaml() -> None:
    with pytest.raises(CampaignFileError, match="not valid YAML"):
        campaign_apply_file(path_or_text="slug: [", actor=None)


def test_it_reports_unknown_keys_and_unknown_condition_touches(channels: None) -> None:
    text = SMALL.replace("touch: hello", "touch: nope").replace(
        "slug: spring", "slug: spring\ncolour: red"
    )
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=text, actor=None)
    assert caught.value.problems[0] == "colour: unknown key (line 2)"
    assert caught.value.problems[1].startswith(
        'touches[1].condition.touch: no earlier touch with key "nope"'
    )


def test_it_sends_changed_touches_of_an_approved_campaign_back_to_review(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    campaign = Campaign.objects.get(slug="spring")
    campaign.touches.update(approval_status=ApprovalStatus.APPROVED)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.APPROVED)
    report = campaign_apply_file(
        path_or_text=SMALL.replace("Still spring.", "Nearly summer."), actor=None
    )
    assert report.changes == ["touch again: words for fallback"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    statuses = dict(campaign.touches.values_list("name", "approval_status"))
    assert statuses == {"hello": ApprovalStatus.APPROVED, "again": ApprovalStatus.PENDING}


def test_it_removes_and_reorders_touches_to_match_the_file(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    only_hello = SMALL[: SMALL.index("  - key: again")]
    report = campaign_apply_file(path_or_text=only_hello, actor=None)
    assert report.changes == ["removed touch again"]
    assert list(Campaign.objects.get(slug="spring").touches.values_list("name", flat=True)) == [
        "hello"
    ]


def test_it_updates_the_inline_audience_rule(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    report = campaign_apply_file(path_or_text=SMALL.replace('"Sales"', '"Support"'), actor=None)
    assert report.changes == ["changed the rule of audience spring-audience"]
    assert Audience.objects.get(slug="spring-audience").rule == 'department = "Support"'


def test_it_links_an_external_launch_and_times_touches_from_it(channels: None) -> None:
    text = SMALL.replace(
        "touches:\n",
        "external: {slug: app, name: App, launch_at: 2031-06-10T09:00}\ntouches:\n",
    ).replace("after_start: {days: 0", "after_launch: {days: -1")
    campaign_apply_file(path_or_text=text, actor=None)
    hello = Campaign.objects.get(slug="spring").touches.get(name="hello")
    assert hello.scheduled_at == dt.datetime(2031, 6, 9, 8, 0, tzinfo=dt.UTC)
    moved = text.replace("2031-06-10T09:00", "2031-06-17T09:00")
    report = campaign_apply_file(path_or_text=moved, actor=None)
    assert report.changes == ["external campaign: launch_at"]
    hello.refresh_from_db()
    assert hello.scheduled_at == dt.datetime(2031, 6, 16, 8, 0, tzinfo=dt.UTC)


def test_it_accepts_a_path(channels: None, tmp_path: Any) -> None:
    path = tmp_path / "spring.yaml"
    path.write_text(SMALL)
    assert campaign_apply_file(path_or_text=path, actor=None).created


def approve_everything(slug: str, status: str = CampaignStatus.APPROVED) -> Campaign:
    campaign = Campaign.objects.get(slug=slug)
    campaign.touches.update(approval_status=ApprovalStatus.APPROVED)
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    return campaign


def test_it_leaves_an_approved_campaign_approved_when_nothing_changed(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    campaign = approve_everything("spring", CampaignStatus.SCHEDULED)
    assert campaign_apply_file(path_or_text=SMALL, actor=None).unchanged
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED


@pytest.mark.parametrize(
    ("before", "after"),
    [("name: Spring", "name: Spring is here"), ('"Sales"', '"Support"')],
    ids=["name", "audience rule"],
)
def test_it_sends_an_approved_campaign_with_a_new_name_or_audience_back_to_review(
    channels: None, before: str, after: str
) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    campaign = approve_everything("spring")
    campaign_apply_file(path_or_text=SMALL.replace(before, after), actor=None)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert set(campaign.touches.values_list("approval_status", flat=True)) == {
        ApprovalStatus.PENDING
    }


def test_it_refuses_a_new_audience_rule_for_a_running_campaign(channels: None) -> None:
    campaign_apply_file(path_or_text=SMALL, actor=None)
    approve_everything("spring", CampaignStatus.RUNNING)
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=SMALL.replace('"Sales"', '"Support"'), actor=None)
    assert caught.value.problems[0].startswith("audience.rule: This campaign is running")
    assert Audience.objects.get(slug="spring-audience").rule == 'department = "Sales"'
