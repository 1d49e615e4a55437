"""The offerings catalogue pages: who may read and change them, and what they show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.models import Audience, Persona
from inward.audit.models import AuditEntry
from inward.campaigns.tests.factories import make_campaign, make_people
from inward.learning.models import Offering, OfferingKind, OfferingPersona

pytestmark = pytest.mark.django_db


def make_offering(slug: str = "leadership-101", **fields: Any) -> Offering:
    fields.setdefault("title", "Leadership 101")
    fields.setdefault("kind", OfferingKind.COURSE)
    fields.setdefault("activity_id", f"https://lms.example.com/courses/{slug}")
    return Offering.objects.create(slug=slug, **fields)


def learners(offering: Offering, kind: str, count: int) -> None:
    for person in make_people(count):
        EngagementEvent.objects.create(
            person=person,
            kind=kind,
            source=EventSource.XAPI,
            occurred_at=timezone.now(),
            offering=offering,
        )


FORM = {
    "title": "Coaching conversations",
    "slug": "coaching",
    "kind": "course",
    "description": "Two mornings on listening and asking.",
    "activity_id": "https://lms.example.com/courses/coaching",
    "url": "https://learn.example.com/coaching",
    "owner": "",
    "starts_on": "2026-03-02",
    "ends_on": "2026-03-09",
}


# --- Who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("admin_user", 200),
        ("manager_user", 200),
        ("channel_owner_user", 200),
        ("employee_user", 403),
        ("outsider_user", 302),
    ],
)
def test_reading_the_catalogue_needs_campaign_reading_rights(
    request: pytest.FixtureRequest, client: Client, user: str, status: int
) -> None:
    offering = make_offering()
    client.force_login(request.getfixturevalue(user))
    for url in (reverse("learning:list"), reverse("learning:detail", args=[offering.slug])):
        assert client.get(url).status_code == status


@pytest.mark.parametrize("name", ["create", "edit", "delete", "personas"])
def test_a_channel_owner_may_read_but_not_change(
    client: Client, channel_owner_user: Any, name: str
) -> None:
    offering = make_offering()
    client.force_login(channel_owner_user)
    url = reverse(f"learning:{name}", args=[] if name == "create" else [offering.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, FORM).status_code == 403
    assert Offering.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("learning:list"))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


# --- The list --------------------------------------------------------------------------------


def test_an_empty_catalogue_says_how_to_start(client: Client, manager_user: Any) -> None:
    client.force_login(manager_user)
    page = client.get(reverse("learning:list")).content.decode()
    assert "No offerings yet" in page
    assert reverse("learning:create") in page


def test_an_empty_catalogue_tells_readers_whom_to_ask(
    client: Client, channel_owner_user: Any
) -> None:
    client.force_login(channel_owner_user)
    page = client.get(reverse("learning:list")).content.decode()
    assert "Ask an admin or a manager" in page
    assert reverse("learning:create") not in page


def test_the_list_searches_and_filters_by_kind(client: Client, manager_user: Any) -> None:
    make_offering("leadership-101", title="Leading at Acme", kind=OfferingKind.PROGRAMME)
    make_offering("security", title="Security basics", description="Phishing and passwords")
    make_offering("summit", title="Leadership summit", kind=OfferingKind.EVENT)
    client.force_login(manager_user)

    def titles(**query: str) -> list[str]:
        response = client.get(reverse("learning:list"), query)
        return [o.title for o in response.context["page"].object_list]

    assert titles() == ["Leadership summit", "Leading at Acme", "Security basics"]
    assert titles(q="lead") == ["Leadership summit", "Leading at Acme"]
    assert titles(q="PHISHING") == ["Security basics"]
    assert titles(q="lead", kind="event") == ["Leadership summit"]
    assert titles(kind="resource") == []
    assert titles(kind="nonsense") == titles()
    page = client.get(reverse("learning:list"), {"q": "nothing like it"}).content.decode()
    assert "No offering matches this search." in page


# --- Create, edit, delete --------------------------------------------------------------------


def test_a_manager_creates_an_offering_and_it_is_audited(client: Client, manager_user: Any) -> None:
    client.force_login(manager_user)
    response = client.post(reverse("learning:create"), {**FORM, "owner": manager_user.pk})
    assert response.status_code == 302
    offering = Offering.objects.get(slug="coaching")
    assert response["Location"] == reverse("learning:detail", args=["coaching"])
    assert offering.owner == manager_user
    assert offering.starts_on == dt.date(2026, 3, 2)
    entry = AuditEntry.objects.get(action="offering.create")
    assert entry.actor == manager_user and entry.target_id == offering.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"slug": "not a slug"}, "slug", "Enter a valid “slug”"),
        ({"activity_id": "leadership"}, "activity_id", "Enter a valid URL."),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"kind": "podcast"}, "kind", "Select a valid choice."),
        ({"ends_on": "2026-03-01"}, "ends_on", "The end cannot come before the start."),
    ],
)
def test_the_form_says_what_is_wrong(
    client: Client, manager_user: Any, change: dict[str, str], field: str, message: str
) -> None:
    client.force_login(manager_user)
    response = client.post(reverse("learning:create"), {**FORM, **change})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Offering.objects.exists()


def test_slugs_and_activity_ids_are_unique(client: Client, manager_user: Any) -> None:
    make_offering("coaching", activity_id="https://lms.example.com/other")
    make_offering("other", activity_id=FORM["activity_id"])
    client.force_login(manager_user)
    form = client.post(reverse("learning:create"), FORM).context["form"]
    assert form.errors["slug"] == ["Another offering already uses this slug."]
    assert form.errors["activity_id"] == ["Another offering already has this activity id."]


def test_a_refused_edit_keeps_what_was_typed_on_the_saved_offerings_page(
    client: Client, admin_user: Any
) -> None:
    offering = make_offering()
    make_offering("other", activity_id=FORM["activity_id"])
    client.force_login(admin_user)
    data = {**FORM, "title": "Typed title", "ends_on": "2026-03-01"}
    response = client.post(reverse("learning:edit", args=[offering.slug]), data)
    form = response.context["form"]
    assert form.errors["activity_id"] == ["Another offering already has this activity id."]
    assert form.errors["ends_on"] == ["The end cannot come before the start."]
    page = response.content.decode()
    assert 'value="Typed title"' in page and "Edit Leadership 101" in page
    offering.refresh_from_db()
    assert offering.title == "Leadership 101"


def test_editing_keeps_the_slug_and_records_what_changed(client: Client, admin_user: Any) -> None:
    offering = make_offering()
    client.force_login(admin_user)
    url = reverse("learning:edit", args=[offering.slug])
    page = client.get(url).content.decode()
    assert 'value="leadership-101"' in page and "disabled" in page
    data = {**FORM, "slug": "sneaky", "title": "Leadership 101 (2026)"}
    data["activity_id"] = offering.activity_id
    response = client.post(url, data)
    assert response.status_code == 302
    offering.refresh_from_db()
    assert (offering.slug, offering.title) == ("leadership-101", "Leadership 101 (2026)")
    entry = AuditEntry.objects.get(action="offering.update")
    assert "title" in entry.summary and entry.data["title"] == "Leadership 101 (2026)"


def test_an_offering_nothing_uses_can_be_deleted(client: Client, manager_user: Any) -> None:
    offering = make_offering()
    client.force_login(manager_user)
    url = reverse("learning:delete", args=[offering.slug])
    assert "Delete offering" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("learning:list")
    assert not Offering.objects.exists()
    assert AuditEntry.objects.filter(action="offering.delete").exists()


def test_an_offering_a_campaign_promotes_cannot_be_deleted(
    client: Client, manager_user: Any
) -> None:
    offering = make_offering()
    make_campaign(name="Lead the way", offering=offering)
    client.force_login(manager_user)
    url = reverse("learning:delete", args=[offering.slug])
    page = client.get(url).content.decode()
    assert "It cannot be deleted while it is in use." in page
    assert "Campaigns promote it: Lead the way." in page
    assert "Delete offering" not in page
    response = client.post(url, follow=True)
    assert Offering.objects.filter(pk=offering.pk).exists()
    assert "Campaigns promote it: Lead the way." in response.content.decode()


def test_an_offering_a_rule_names_cannot_be_deleted(client: Client, manager_user: Any) -> None:
    offering = make_offering()
    Audience.objects.create(slug="done", name="Done it", rule='completed("leadership-101")')
    client.force_login(manager_user)
    client.post(reverse("learning:delete", args=[offering.slug]))
    assert Offering.objects.filter(pk=offering.pk).exists()


# --- The detail page -------------------------------------------------------------------------


def test_the_detail_shows_everything_about_the_offering(client: Client, manager_user: Any) -> None:
    offering = make_offering(
        url="https://learn.example.com/leadership",
        owner=manager_user,
        starts_on=dt.date(2026, 3, 2),
        description="Six weekly sessions.",
    )
    persona = Persona.objects.create(name="New manager Nina")
    OfferingPersona.objects.create(offering=offering, persona=persona, wiifm="Lead with ease")
    make_campaign(name="Lead the way", slug="lead", offering=offering)
    client.force_login(manager_user)
    page = client.get(reverse("learning:detail", args=[offering.slug])).content.decode()
    for text in (
        "https://lms.example.com/courses/leadership-101",
        'href="https://learn.example.com/leadership"',
        "mona",
        "2 Mar 2026",
        "Six weekly sessions.",
        "New manager Nina",
        "Lead with ease",
        reverse("campaigns:detail", args=["lead"]),
    ):
        assert text in page, text


def test_learner_counts_hide_small_groups_from_all_but_admins(
    client: Client, manager_user: Any, admin_user: Any, settings: Any
) -> None:
    settings.INWARD_MIN_GROUP_SIZE = 5
    offering = make_offering()
    learners(offering, EventKind.ENROLLED, 4)
    learners(offering, EventKind.STARTED, 2)
    learners(offering, EventKind.PASSED, 3)  # passing implies enrolling
    url = reverse("learning:detail", args=[offering.slug])

    client.force_login(manager_user)
    counts = client.get(url).context["counts"]
    assert (counts.enrolled, counts.completed, counts.minimum) == (9, None, 5)
    page = client.get(url).content.decode()
    assert "fewer than 5" in page

    client.force_login(admin_user)
    counts = client.get(url).context["counts"]
    assert (counts.enrolled, counts.completed) == (9, 3)
    assert counts.completion_rate == 33
    assert "fewer than" not in client.get(url).content.decode()


def test_learner_counts_leave_out_robots_and_count_each_person_once(
    client: Client, admin_user: Any
) -> None:
    offering = make_offering()
    [person] = make_people(1)
    for kind in (EventKind.ENROLLED, EventKind.STARTED, EventKind.COMPLETED):
        EngagementEvent.objects.create(
            person=person,
            kind=kind,
            source=EventSource.XAPI,
            occurred_at=timezone.now(),
            offering=offering,
        )
    learners(make_offering("other"), EventKind.COMPLETED, 2)
    [robot] = make_people(1)
    EngagementEvent.objects.create(
        person=robot,
        kind=EventKind.COMPLETED,
        source=EventSource.XAPI,
        occurred_at=timezone.now(),
        offering=offering,
        robot=True,
    )
    client.force_login(admin_user)
    counts = client.get(reverse("learning:detail", args=[offering.slug])).context["counts"]
    assert (counts.enrolled, counts.completed) == (1, 1)


def test_whats_in_it_for_me_is_edited_per_persona(client: Client, manager_user: Any) -> None:
    offering = make_offering()
    nina = Persona.objects.create(name="New manager Nina")
    sam = Persona.objects.create(name="Senior Sam")
    OfferingPersona.objects.create(offering=offering, persona=sam, wiifm="Old line")
    client.force_login(manager_user)
    url = reverse("learning:personas", args=[offering.slug])
    form = client.get(url).context["form"]
    assert form[f"wiifm_{sam.pk}"].value() == "Old line"
    response = client.post(url, {f"wiifm_{nina.pk}": " Lead with ease ", f"wiifm_{sam.pk}": ""})
    assert response.status_code == 302
    lines = dict(offering.persona_lines.values_list("persona__name", "wiifm"))
    assert lines == {"New manager Nina": "Lead with ease"}
    entry = AuditEntry.objects.get(action="offering.personas")
    assert entry.data == {"New manager Nina": "Lead with ease", "Senior Sam": ""}
    # Saving the same again changes and records nothing.
    client.post(url, {f"wiifm_{nina.pk}": "Lead with ease", f"wiifm_{sam.pk}": ""})
    assert AuditEntry.objects.filter(action="offering.personas").count() == 1


def test_forms_carry_a_csrf_token(client: Client, manager_user: Any) -> None:
    offering = make_offering()
    Persona.objects.create(name="Nina")
    client.force_login(manager_user)
    for url in (
        reverse("learning:create"),
        reverse("learning:edit", args=[offering.slug]),
        reverse("learning:personas", args=[offering.slug]),
        reverse("learning:delete", args=[offering.slug]),
    ):
        assert "csrfmiddlewaretoken" in client.get(url).content.decode(), url
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager_user)
    assert strict.post(reverse("learning:create"), FORM).status_code == 403
