"""The analytics pages over real rows (funnel state, attributions, events), as each persona
sees them: who may open what, hidden counts for managers and exact ones for admins, the
CSV, the printable report and its PDF, and person-level data only for admins and the
person."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from inward.analytics.models import EngagementEvent, EventKind, EventSource, FunnelStage
from inward.analytics.tests.worlds import World, add_recipient, results_world
from inward.campaigns.models import Variant
from inward.campaigns.tests.factories import make_campaign, make_people, make_touch
from inward.delivery.models import Delivery, DeliveryStatus
from inward.directory.models import Person

pytestmark = pytest.mark.django_db

COUNT_CELL = re.compile(r'<td class="[^"]*\bcount\b[^"]*">(.*?)</td>', re.S)


@pytest.fixture
def world() -> World:
    return results_world()


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in COUNT_CELL.findall(html)]


def _small_numbers(html: str, minimum: int = 5) -> list[str]:
    return [c for c in _cells(html) if (n := re.match(r"\d+", c)) and 0 < int(n.group(0)) < minimum]


# Who may open what


@pytest.mark.parametrize(
    "tail", ["", "breakdown/", "learning/", "report/", "report.pdf", "export.csv"]
)
def test_employees_may_not_open_campaign_analytics(
    client_as: Any, employee_user: Any, world: World, tail: str
) -> None:
    assert client_as(employee_user).get(world.url(tail)).status_code == 403


@pytest.mark.parametrize("tail", ["", "report/", "report.pdf"])
def test_signed_out_visitors_are_sent_to_sign_in(client: Any, world: World, tail: str) -> None:
    response = client.get(world.url(tail))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deactivated_account_sees_nothing(
    client_as: Any, outsider_user: Any, world: World
) -> None:
    assert client_as(outsider_user).get(world.url()).status_code in (302, 403)


def test_an_unknown_campaign_is_not_found(client_as: Any, manager_user: Any, db: None) -> None:
    assert client_as(manager_user).get("/analytics/campaigns/nope/").status_code == 404


def test_the_pages_answer_only_get(client_as: Any, admin_user: Any, world: World) -> None:
    assert client_as(admin_user).post(world.url()).status_code == 405


# The results page


def test_a_manager_sees_the_funnel_with_small_groups_hidden(
    client_as: Any, manager_user: Any, world: World
) -> None:
    response = client_as(manager_user).get(world.url() + "?dimension=department")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Results: Leading at Acme" in html
    assert "fewer than 5" in html
    assert _small_numbers(html) == [], "no count under the minimum is shown as a number"
    assert ">Finance<" not in html


def test_an_admin_sees_every_count(client_as: Any, admin_user: Any, world: World) -> None:
    html = client_as(admin_user).get(world.url() + "?dimension=department").content.decode()
    assert "fewer than" not in html
    assert ">Finance<" in html
    funnel = re.search(
        r'<table class="table table-sm align-middle" id="funnel-table">.*?</table>', html, re.S
    )
    assert funnel is not None
    assert _cells(funnel.group(0)) == ["15", "15", "14", "9", "7", "2"]


def test_a_channel_owner_may_read_the_results(
    client_as: Any, channel_owner_user: Any, world: World
) -> None:
    assert client_as(channel_owner_user).get(world.url()).status_code == 200


def test_the_results_page_takes_a_bounded_number_of_queries(
    client_as: Any, manager_user: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_as(manager_user)
    # About ten reads; on PostgreSQL the report also sets work_mem in a savepoint (3 more).
    with django_assert_max_num_queries(15):
        assert client.get(world.url()).status_code == 200


def test_a_campaign_nobody_is_in_yet_gets_a_helpful_empty_state(
    client_as: Any, manager_user: Any, db: None
) -> None:
    campaign = make_campaign(name="Next spring")
    html = client_as(manager_user).get(f"/analytics/campaigns/{campaign.slug}/").content.decode()
    assert "No results yet" in html
    assert "data-chart" not in html


def test_the_breakdown_switcher_answers_with_the_table_alone(
    client_as: Any, admin_user: Any, world: World
) -> None:
    response = client_as(admin_user).get(
        world.url("breakdown/") + "?dimension=department", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'data-dimension="department"' in html
    assert ">Sales<" in html and ">Finance<" in html


def test_an_unknown_dimension_falls_back_to_touches(
    client_as: Any, admin_user: Any, world: World
) -> None:
    html = client_as(admin_user).get(world.url("breakdown/") + "?dimension=salary").content.decode()
    assert 'data-dimension="touch"' in html and "Welcome" in html


def test_the_learning_switcher_shows_the_chosen_model(
    client_as: Any, admin_user: Any, world: World
) -> None:
    html = client_as(admin_user).get(world.url("learning/") + "?model=linear").content.decode()
    assert "Linear: the credit is shared" in html
    assert re.search(r'<span class="fw-semibold">9</span> enrolled', html), "sales[3:] enrolled"


# Export, printable report, PDF


def test_the_csv_downloads_with_the_slug_and_date_in_its_name(
    client_as: Any, manager_user: Any, world: World
) -> None:
    response = client_as(manager_user).get(world.url("export.csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{world.campaign.slug}-results-{today}.csv"'
    )
    body = response.content.decode()
    assert body.startswith("\ufeffbreakdown,group,stage,count,note\r\n")
    assert "Everyone,Everyone,Audience,15," in body
    assert "Finance" not in body, "a group under the minimum is not in the manager's CSV"


def test_the_printable_report_has_the_numbers_and_print_styles(
    client_as: Any, manager_user: Any, world: World
) -> None:
    response = client_as(manager_user).get(world.url("report/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Leading at Acme</h1>" in html and "inward/report.css" in html
    assert "By Department" in html and "fewer than 5" in html
    assert _small_numbers(html) == []


def test_the_pdf_is_a_pdf_with_the_campaign_name(
    client_as: Any, manager_user: Any, world: World
) -> None:
    response = client_as(manager_user).get(world.url("report.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert world.campaign.slug in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Leading at Acme" in text and "Finance" not in text


# Person-level data


def _event(person: Person, world: World, kind: str, **fields: Any) -> EngagementEvent:
    return EngagementEvent.objects.create(
        occurred_at=timezone.now() - dt.timedelta(days=2),
        kind=kind,
        source=EventSource.PIXEL,
        person=person,
        campaign=world.campaign,
        touch=world.touch,
        channel=world.touch.channel,
        **fields,
    )


def test_an_employee_sees_everything_recorded_about_them(
    client_as: Any, employee_user: Any, world: World
) -> None:
    emma = Person.objects.create(email="emma@example.com", first_name="Emma", last_name="Employee")
    add_recipient(
        world.campaign,
        world.touch,
        emma,
        FunnelStage.ENGAGED,
        timezone.now() - dt.timedelta(days=3),
    )
    _event(emma, world, EventKind.OPENED)
    _event(emma, world, EventKind.CLICKED, robot=True)
    _event(world.sales[0], world, EventKind.RECOMMENDED)
    html = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "My data" in html
    assert "Opened" in html and "Clicked" in html and "not counted" in html
    assert "Leading at Acme" in html and "Welcome" in html and "Company e-mail" in html
    assert "Recommended" not in html, "someone else's event"
    assert "/analytics/campaigns/" not in html, "employees cannot open campaign pages"


def test_my_data_without_a_directory_record_says_so(
    client_as: Any, employee_user: Any, db: None
) -> None:
    html = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "There is no directory record for emma@example.com" in html


def test_an_admin_sees_any_persons_engagement(
    client_as: Any, admin_user: Any, world: World
) -> None:
    person = world.sales[0]
    _event(person, world, EventKind.OPENED)
    html = client_as(admin_user).get(f"/analytics/people/{person.pk}/").content.decode()
    assert person.display_name in html and "Opened" in html
    assert f"/analytics/campaigns/{world.campaign.slug}/" in html


@pytest.mark.parametrize("persona", ["manager_user", "channel_owner_user", "employee_user"])
def test_nobody_else_sees_a_persons_engagement(
    request: pytest.FixtureRequest, client_as: Any, world: World, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    Person.objects.create(email=user.email, first_name="Own", last_name="Record")
    person = world.sales[0]
    _event(person, world, EventKind.OPENED)
    assert client_as(user).get(f"/analytics/people/{person.pk}/").status_code == 403


def test_a_person_may_open_their_own_page(client_as: Any, employee_user: Any, world: World) -> None:
    emma = Person.objects.create(email="emma@example.com", first_name="Emma", last_name="Employee")
    assert client_as(employee_user).get(f"/analytics/people/{emma.pk}/").status_code == 200


def test_an_unknown_person_is_a_403_before_a_404_for_non_admins(
    client_as: Any, manager_user: Any, admin_user: Any, db: None
) -> None:
    assert client_as(manager_user).get("/analytics/people/999999/").status_code == 403
    assert client_as(admin_user).get("/analytics/people/999999/").status_code == 404


# A/B variants


def test_a_variant_comparison_shows_its_verdict(
    client_as: Any, manager_user: Any, db: None
) -> None:
    """Forty people got each of two variants; 30 opened A and 10 opened B."""
    world = results_world()
    touch = make_touch(world.campaign, world.touch.channel, name="Invitation")
    first = touch.variants.get()
    second = Variant.objects.create(
        touch=touch, language="", arm="B", subject="Other words", body="Hi"
    )
    sent = timezone.now() - dt.timedelta(days=5)
    people = make_people(80, department="Sales")
    for i, person in enumerate(people):
        variant, opened = (first, i < 30) if i < 40 else (second, i < 50)
        Delivery.objects.create(
            touch=touch,
            person=person,
            channel=touch.channel,
            variant=variant,
            status=DeliveryStatus.SENT,
            due_at=sent,
            sent_at=sent,
            opened_at=sent + dt.timedelta(hours=1) if opened else None,
            message_id=f"<ab.{person.pk}@test>",
        )
    html = client_as(manager_user).get(world.url()).content.decode()
    section = html[html.index('id="variants-heading"') :]
    assert "Invitation" in section
    assert re.search(r"<td class=\"text-end\">75%</td>", section), "A: 30 of 40"
    assert re.search(r"<td class=\"text-end\">25%</td>", section), "B: 10 of 40"
    assert re.search(r"p = 0\.0\d\d", section)
    assert 'class="verdict-sentence fw-semibold"' in section, "a significant difference"


def test_a_campaign_with_a_tiny_audience_hides_everything_from_a_manager(
    client_as: Any, manager_user: Any, admin_user: Any, db: None
) -> None:
    world = results_world()
    world.campaign.recipient_funnels.exclude(person__in=world.finance).delete()
    html = client_as(manager_user).get(world.url()).content.decode()
    assert "Fewer than 5 people are in this campaign so far" in html
    assert _small_numbers(html) == []
    admin_html = client_as(admin_user).get(world.url()).content.decode()
    assert "so far" not in admin_html
