"""Campaigns promote offerings, and touches carry an "only if" rule: through the pages,
campaign files and the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from inward.accounts.services import token_create
from inward.campaigns.errors import CampaignFileError
from inward.campaigns.files import campaign_apply_file
from inward.campaigns.forms import TouchForm
from inward.campaigns.models import Campaign, Touch
from inward.campaigns.tests.factories import make_audience, make_campaign, make_channel, make_touch
from inward.delivery.models import Channel, ChannelKind
from inward.learning.models import Offering, OfferingKind
from inward.learning.tests.test_views import make_offering

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[4] / "docs/examples/onboarding-campaign.yaml"


@pytest.fixture
def channel() -> Channel:
    return make_channel(ChannelKind.EMAIL, slug="mail")


def touch_data(channel: Channel, **fields: str) -> dict[str, Any]:
    return {
        "name": "Reminder",
        "channel": channel.pk,
        "stage": "action",
        "timing": "campaign_start",
        "offset_days": "3",
        "send_time": "09:00",
        "recipients": "audience",
        "condition": "all",
        **fields,
    }


# --- The campaign pages ----------------------------------------------------------------------


def test_a_campaign_is_linked_to_an_offering_and_shows_it(
    client: Client, manager_user: Any
) -> None:
    offering = make_offering(title="Leadership 101")
    campaign = make_campaign(slug="leaders", name="Leaders")
    client.force_login(manager_user)
    form_page = client.get("/campaigns/leaders/edit/").content.decode()
    assert f'<option value="{offering.pk}">Leadership 101</option>' in form_page
    data = {
        "name": "Leaders",
        "owner_team": "learning",
        "purpose": "educate",
        "time_zone": "Europe/Amsterdam",
        "offering": offering.pk,
        "learning_offering": "Ask HR for a place",
    }
    response = client.post("/campaigns/leaders/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    assert campaign.offering == offering
    page = client.get("/campaigns/leaders/").content.decode()
    assert '<a href="/learning/leadership-101/">Leadership 101</a>' in page
    assert "Ask HR for a place" in page
    detail = client.get("/learning/leadership-101/").content.decode()
    assert 'href="/campaigns/leaders/"' in detail
    # And unlinked again
    client.post("/campaigns/leaders/edit/", {**data, "offering": ""})
    campaign.refresh_from_db()
    assert campaign.offering is None


def test_the_touch_form_checks_the_rule_and_stores_it_tidily(channel: Channel) -> None:
    make_offering()
    campaign = make_campaign()
    form = TouchForm(
        touch_data(channel, condition_rule='NOT Enrolled( "leadership-101" , 30D )'),
        campaign=campaign,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["condition_rule"] == 'not enrolled("leadership-101", 30d)'


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('not enrolled("leadership-11")', "line 1, column 5: there is no learning offering"),
        ('not opened("nope")', 'line 1, column 5: there is no campaign "nope"'),
        ("not enrolled(", "line 1, column 14: expected a value"),
        ('enrolled("leadership-101", "30d")', "the window of enrolled is a duration"),
    ],
)
def test_the_touch_form_shows_rule_mistakes_with_their_place(
    channel: Channel, rule: str, message: str
) -> None:
    make_offering()
    form = TouchForm(touch_data(channel, condition_rule=rule), campaign=make_campaign())
    assert not form.is_valid()
    assert message in form.errors["condition_rule"][0]


def test_a_channel_post_cannot_check_a_rule() -> None:
    teams = make_channel(ChannelKind.TEAMS)
    form = TouchForm(
        touch_data(teams, condition_rule='department = "Sales"'), campaign=make_campaign()
    )
    assert not form.is_valid()
    assert "cannot check a rule" in form.errors["condition_rule"][0]


def test_a_touch_with_a_rule_is_saved_and_shown_in_the_journey(
    client: Client, manager_user: Any, channel: Channel
) -> None:
    make_offering()
    campaign = make_campaign(slug="leaders", audience=make_audience())
    client.force_login(manager_user)
    response = client.post(
        "/campaigns/leaders/touches/new/",
        touch_data(channel, condition_rule='not   enrolled("leadership-101")'),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    touch = Touch.objects.get(campaign=campaign)
    assert touch.condition_rule == 'not enrolled("leadership-101")'
    page = client.get("/campaigns/leaders/").content.decode()
    assert "only if" in page
    assert "not enrolled(&quot;leadership-101&quot;)" in page
    # Cleared again
    data = touch_data(channel, condition_rule="")
    client.post(f"/campaigns/leaders/touches/{touch.pk}/", data)
    touch.refresh_from_db()
    assert touch.condition_rule == ""


def test_the_touch_page_shows_a_rule_mistake(
    client: Client, manager_user: Any, channel: Channel
) -> None:
    make_campaign(slug="leaders")
    client.force_login(manager_user)
    response = client.post(
        "/campaigns/leaders/touches/new/", touch_data(channel, condition_rule='opened("x")')
    )
    assert response.status_code == 200
    assert "there is no campaign" in response.content.decode()
    assert not Touch.objects.exists()


# --- Campaign files --------------------------------------------------------------------------


FILE = """\
slug: leaders
name: Leaders
owner_team: learning
purpose: educate
audience: {rule: 'department = "Sales"'}
starts: 2031-03-03T09:00
offering: leadership-101
touches:
  - key: hello
    channel: mail
    after_start: {days: 0, time: "10:00"}
    variants:
      - subject: Hello
        body: Lead the way.
  - key: reminder
    channel: mail
    after_previous: {days: 7, time: "09:00"}
    only_if: not enrolled("leadership-101", 30d) and not clicked("leaders")
    variants:
      - subject: Still time
        body: Lead the way.
"""


def test_a_file_names_the_offering_and_a_touch_condition(channel: Channel) -> None:
    offering = make_offering()
    report = campaign_apply_file(path_or_text=FILE, actor=None)
    assert report.created
    campaign = Campaign.objects.get(slug="leaders")
    assert campaign.offering == offering
    reminder = campaign.touches.get(name="reminder")
    assert reminder.condition_rule == (
        'not enrolled("leadership-101", 30d) and not clicked("leaders")'
    )
    # Applying it again changes nothing; leaving the keys out clears them.
    assert campaign_apply_file(path_or_text=FILE, actor=None).unchanged
    bare = FILE.replace("offering: leadership-101\n", "").replace(
        '    only_if: not enrolled("leadership-101", 30d) and not clicked("leaders")\n', ""
    )
    report = campaign_apply_file(path_or_text=bare, actor=None)
    assert "changed offering" in report.summary()
    campaign.refresh_from_db()
    reminder.refresh_from_db()
    assert (campaign.offering, reminder.condition_rule) == (None, "")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("offering: leadership-101", "offering: leadership-1O1"),
            'offering: no learning offering with slug "leadership-1O1" (line 7)',
        ),
        (
            ('only_if: not enrolled("leadership-101", 30d)', "only_if: not enrolled("),
            "touches[1].only_if: expected a value after",
        ),
        (
            (
                'only_if: not enrolled("leadership-101", 30d)',
                'only_if: not enrolled("leadership-110")',
            ),
            'touches[1].only_if: there is no learning offering "leadership-110"; did you mean '
            '"leadership-101"? (at column 5 of the rule) (line 18)',
        ),
    ],
)
def test_a_file_with_a_wrong_offering_or_rule_is_refused_whole(
    channel: Channel, change: tuple[str, str], problem: str
) -> None:
    make_offering()
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=FILE.replace(*change), actor=None)
    assert any(problem in line for line in caught.value.problems), caught.value.problems
    assert not Campaign.objects.exists()


def test_a_file_can_describe_the_offering_itself(channel: Channel) -> None:
    text = FILE.replace(
        "offering: leadership-101\n",
        "offering:\n"
        "  slug: leadership-101\n"
        "  title: Leadership 101\n"
        "  kind: course\n"
        "  activity_id: https://lms.example.com/courses/leadership-101\n"
        "  starts_on: 2031-03-03\n",
    )
    report = campaign_apply_file(path_or_text=text, actor=None)
    assert "created learning offering leadership-101" in report.summary()
    offering = Offering.objects.get(slug="leadership-101")
    assert offering.kind == OfferingKind.COURSE and str(offering.starts_on) == "2031-03-03"
    assert Campaign.objects.get(slug="leaders").offering == offering
    renamed = text.replace("title: Leadership 101", "title: Leading well")
    report = campaign_apply_file(path_or_text=renamed, actor=None)
    assert "learning offering leadership-101: title" in report.summary()
    assert campaign_apply_file(path_or_text=renamed, actor=None).unchanged


def test_a_described_offering_with_a_bad_activity_id_is_refused(channel: Channel) -> None:
    text = FILE.replace(
        "offering: leadership-101\n",
        "offering: {slug: x, title: X, kind: course, activity_id: not-an-address}\n",
    )
    with pytest.raises(CampaignFileError) as caught:
        campaign_apply_file(path_or_text=text, actor=None)
    assert any("offering.activity_id: Give a full address" in p for p in caught.value.problems)
    assert not Offering.objects.exists()


def test_the_documented_example_applies_with_its_offering_and_condition() -> None:
    from inward.audiences.models import Audience, Persona

    make_channel(ChannelKind.EMAIL, slug="demo-email")
    make_channel(ChannelKind.INTRANET, slug="demo-feed")
    Audience.objects.create(slug="new-starters", name="New starters", rule="tenure < 90d")
    Persona.objects.create(name="New starter Noah")
    campaign_apply_file(path_or_text=EXAMPLE, actor=None)
    campaign = Campaign.objects.get(slug="onboarding-new-starters")
    assert campaign.offering is not None and campaign.offering.slug == "onboarding-at-acme"
    reminder = campaign.touches.get(name="Course reminder")
    assert reminder.condition_rule == 'not enrolled("onboarding-at-acme")'
    assert campaign_apply_file(path_or_text=EXAMPLE, actor=None).unchanged


# --- The API ---------------------------------------------------------------------------------


@pytest.fixture
def api(client: Client, manager_user: Any) -> Any:
    secret = token_create(user=manager_user, name="test").secret

    def call(method: str, path: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)("/api/v1/campaigns" + path, **kwargs)

    return call


def test_the_api_reads_and_sets_the_offering(api: Any) -> None:
    make_offering()
    created = api(
        "post", "/",
        {"slug": "leaders", "name": "Leaders", "owner_team": "learning", "purpose": "educate",
         "offering": "leadership-101"},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["offering"] == "leadership-101"
    assert api("patch", "/leaders", {"offering": None}).json()["offering"] is None
    wrong = api("patch", "/leaders", {"offering": "nope"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "unknown_offering")


def test_the_api_sets_a_touch_condition_and_reports_rule_mistakes(
    api: Any, channel: Channel
) -> None:
    make_offering()
    campaign = make_campaign(slug="leaders")
    touch = make_touch(campaign, channel)
    url = f"/leaders/touches/{touch.pk}"
    changed = api("patch", url, {"condition_rule": 'NOT enrolled("leadership-101")'})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["condition_rule"] == 'not enrolled("leadership-101")'
    assert api("get", "/leaders").json()["touches"][0]["condition_rule"] == (
        'not enrolled("leadership-101")'
    )
    wrong = api("patch", url, {"condition_rule": 'not enrolled("nope")'})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "rule_invalid"
    assert wrong.json()["error"]["details"] == [{"line": 1, "column": 5}]
    syntax = api("patch", url, {"condition_rule": "not enrolled("})
    assert syntax.json()["error"]["code"] == "rule_syntax"
    touch.refresh_from_db()
    assert touch.condition_rule == 'not enrolled("leadership-101")'
