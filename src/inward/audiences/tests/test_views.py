"""The audience and persona pages, the live count and the builder, as each persona sees them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inward.audiences.models import Audience, Persona
from inward.directory.models import Department, Person, Site

pytestmark = pytest.mark.django_db

EDITORS = ["admin_user", "manager_user"]
READERS = [*EDITORS, "channel_owner_user"]
NOBODY = ["employee_user"]


def person(email: str, department: str = "", site: str = "", **fields: Any) -> Person:
    first, _, last = email.split("@")[0].partition(".")
    fields.setdefault("first_name", first.title())
    fields.setdefault("last_name", last.title())
    if department:
        fields["department"] = Department.objects.get_or_create(name=department, path=department)[0]
    if site:
        fields["site"] = Site.objects.get_or_create(name=site)[0]
    return Person.objects.create(email=email, **fields)


def people(count: int, department: str, site: str = "Leeuwarden", language: str = "nl") -> None:
    slug = department.lower().replace(" ", "")
    for n in range(count):
        person(
            f"p{n}.{slug}{site.lower()}{language}@example.com", department, site, language=language
        )


def audience(slug: str = "sales", rule: str = 'department = "Sales"', **fields: Any) -> Audience:
    fields.setdefault("name", slug.title())
    return Audience.objects.create(slug=slug, rule=rule, **fields)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def read_pages() -> list[str]:
    return ["/audiences/", "/audiences/sales/", "/audiences/personas/"]


def edit_pages(persona_id: int) -> list[str]:
    return [
        "/audiences/new/",
        "/audiences/sales/edit/",
        "/audiences/sales/delete/",
        "/audiences/personas/new/",
        f"/audiences/personas/{persona_id}/edit/",
        f"/audiences/personas/{persona_id}/delete/",
    ]


@pytest.fixture
def sales() -> Audience:
    people(6, "Sales")
    return audience()


@pytest.fixture
def persona(sales: Audience) -> Persona:
    return Persona.objects.create(name="New seller", wiifm="Close deals faster", audience=sales)


# --- who may see what --------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
def test_it_opens_every_page_to_editors(
    role: str, request: Any, client_as: Any, persona: Persona
) -> None:
    client = client_as(request.getfixturevalue(role))
    for url in read_pages() + edit_pages(persona.pk):
        assert client.get(url).status_code == 200, url


def test_it_lets_channel_owners_read_but_not_edit(
    channel_owner_user: Any, client_as: Any, persona: Persona
) -> None:
    client = client_as(channel_owner_user)
    for url in read_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/edit/" not in response.content.decode(), url
    for url in edit_pages(persona.pk):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    for url in ["/audiences/count/", "/audiences/builder/"]:
        assert client.post(url, {"rule": 'site = "X"'}).status_code == 403, url
    assert Audience.objects.count() == 1
    assert Persona.objects.count() == 1


def test_it_refuses_every_page_to_employees(
    employee_user: Any, client_as: Any, persona: Persona
) -> None:
    client = client_as(employee_user)
    for url in read_pages() + edit_pages(persona.pk):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", ["anonymous", "outsider_user"])
def test_it_sends_anonymous_and_deactivated_users_to_sign_in(
    who: str, request: Any, client: Any, persona: Persona
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in read_pages() + edit_pages(persona.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


# --- the list ----------------------------------------------------------------------------


def test_it_lists_audiences_with_their_live_count(
    admin_user: Any, client_as: Any, sales: Audience
) -> None:
    audience("support", 'department = "Support"', name="Support desk")
    response = client_as(admin_user).get("/audiences/")
    rows = dict((a.slug, count) for a, count in response.context["rows"])
    assert rows == {"sales": 6, "support": 0}
    assert "Support desk" in text(response)


def test_it_searches_and_sorts_the_list(admin_user: Any, client_as: Any) -> None:
    audience("alpha", name="Alpha team")
    audience("beta", name="Beta team", description="pilots")
    audience("gamma", name="Gamma")
    client = client_as(admin_user)
    found = client.get("/audiences/", {"q": "team", "sort": "-name"}).context["rows"]
    assert [a.slug for a, _count in found] == ["beta", "alpha"]
    found = client.get("/audiences/", {"q": "pilots"}).context["rows"]
    assert [a.slug for a, _count in found] == ["beta"]
    assert "No audience matches" in text(client.get("/audiences/", {"q": "nothing"}))


def test_it_paginates_the_list(admin_user: Any, client_as: Any) -> None:
    for n in range(30):
        audience(f"a{n:02}", name=f"Audience {n:02}")
    client = client_as(admin_user)
    second = client.get("/audiences/", {"page": 2})
    assert [a.slug for a, _count in second.context["rows"]] == [f"a{n}" for n in range(25, 30)]
    assert "Page 2 of 2" in text(second)


def test_it_teaches_the_next_step_when_there_are_no_audiences(
    admin_user: Any, client_as: Any
) -> None:
    people(3, "Support")
    people(5, "Sales")
    body = text(client_as(admin_user).get("/audiences/"))
    assert "No audiences yet — start from a department" in body
    assert 'href="/audiences/new/?department=Sales"' in body


def test_it_prefills_the_editor_with_the_department_rule(admin_user: Any, client_as: Any) -> None:
    people(5, "Sales")
    response = client_as(admin_user).get("/audiences/new/", {"department": "Sales"})
    assert response.context["form"]["rule"].value() == 'department = "Sales"'
    assert response.context["count"] == 5
    assert 'value="Sales"' in text(response)


def test_it_lists_with_a_fixed_number_of_queries_however_many_audiences(
    admin_user: Any, client_as: Any
) -> None:
    client = client_as(admin_user)
    audience("a1")
    client.get("/audiences/")  # warm up sessions and content types
    with CaptureQueriesContext(connection) as one:
        client.get("/audiences/")
    for n in range(2, 8):
        audience(f"a{n}")
    with CaptureQueriesContext(connection) as seven:
        client.get("/audiences/")
    # Every audience's count comes from one scan of the directory.
    assert len(seven) == len(one), [q["sql"] for q in seven.captured_queries]


# --- create, edit, delete ----------------------------------------------------------------


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Sales NL",
        "slug": "sales-nl",
        "description": "Sellers in the Netherlands",
        "rule": 'department = "Sales"',
        "match": "all",
        "cond-TOTAL_FORMS": "0",
        "cond-INITIAL_FORMS": "0",
    }
    return data | overrides


@pytest.mark.parametrize("role", EDITORS)
def test_it_creates_an_audience(role: str, request: Any, client_as: Any) -> None:
    response = client_as(request.getfixturevalue(role)).post("/audiences/new/", form_data())
    assert response.status_code == 302
    assert response["Location"] == "/audiences/sales-nl/"
    created = Audience.objects.get(slug="sales-nl")
    assert (created.name, created.rule) == ("Sales NL", 'department = "Sales"')


def test_it_shows_a_syntax_error_inline_and_keeps_what_was_typed(
    admin_user: Any, client_as: Any
) -> None:
    response = client_as(admin_user).post(
        "/audiences/new/", form_data(rule='department = "Sales" and')
    )
    assert response.status_code == 200
    assert not Audience.objects.exists()
    body = text(response)
    assert 'aria-describedby="id_rule_error id_rule_helptext"' in body
    assert re.search(r'id="id_rule_error">[^<]*line 1, column', body)
    assert 'value="Sales NL"' in body
    assert "department = &quot;Sales&quot; and</textarea>" in body


def test_it_refuses_a_slug_that_is_taken_or_reserved(admin_user: Any, client_as: Any) -> None:
    audience("sales-nl")
    client = client_as(admin_user)
    taken = client.post("/audiences/new/", form_data())
    assert "Another audience already uses this slug." in text(taken)
    reserved = client.post("/audiences/new/", form_data(slug="personas"))
    assert "This slug is reserved" in text(reserved)
    assert Audience.objects.count() == 1


def test_it_edits_an_audience_but_never_its_slug(
    admin_user: Any, client_as: Any, sales: Audience
) -> None:
    data = form_data(
        slug="renamed", name="Sales team", rule='department = "Sales" and language = "nl"'
    )
    response = client_as(admin_user).post("/audiences/sales/edit/", data)
    assert response.status_code == 302
    sales.refresh_from_db()
    assert (sales.slug, sales.name, sales.rule) == (
        "sales",
        "Sales team",
        'department = "Sales" and language = "nl"',
    )


def test_it_loads_a_simple_rule_into_the_builder_when_editing(
    admin_user: Any, client_as: Any, sales: Audience
) -> None:
    sales.rule = 'department = "Sales" and language in ("nl", "fy")'
    sales.save()
    builder = client_as(admin_user).get("/audiences/sales/edit/").context["builder"]
    assert builder.match == "all"
    assert builder.rows == [
        {"field": "department", "op": "=", "value": "Sales"},
        {"field": "language", "op": "in", "value": "nl, fy"},
    ]


def test_it_deletes_an_audience_after_confirmation(
    admin_user: Any, client_as: Any, persona: Persona
) -> None:
    client = client_as(admin_user)
    confirm = client.get("/audiences/sales/delete/")
    assert "New seller" in text(confirm)
    assert Audience.objects.exists()
    response = client.post("/audiences/sales/delete/")
    assert response["Location"] == "/audiences/"
    assert not Audience.objects.exists()
    persona.refresh_from_db()
    assert persona.audience is None


# --- the live count and the builder ------------------------------------------------------


def test_it_counts_a_rule_while_it_is_typed(admin_user: Any, client_as: Any) -> None:
    people(6, "Sales")
    people(2, "Support")
    response = client_as(admin_user).post("/audiences/count/", {"rule": 'department = "Sales"'})
    assert response.status_code == 200
    assert re.search(r'<span class="count-big">6</span> people match', text(response))


def test_it_shows_where_a_rule_breaks(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post(
        "/audiences/count/", {"rule": 'department = "Sales" and ('}
    )
    body = text(response)
    assert "The rule has an error." in body
    assert re.search(r"Line 1, column \d+:", body)


def test_it_explains_unknown_fields(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post("/audiences/count/", {"rule": 'shoe_size = "42"'})
    assert "shoe_size" in text(response)
    assert "The rule has an error." in text(response)


def builder_data(
    rows: list[tuple[str, str, str]], match: str = "all", **extra: str
) -> dict[str, str]:
    data = {
        "match": match,
        "cond-TOTAL_FORMS": str(len(rows)),
        "cond-INITIAL_FORMS": "0",
        "rule": "",
    }
    for n, (field, op, value) in enumerate(rows):
        data |= {f"cond-{n}-field": field, f"cond-{n}-op": op, f"cond-{n}-value": value}
    return data | extra


def test_the_builder_writes_the_rule_text_and_counts_it(admin_user: Any, client_as: Any) -> None:
    people(6, "Sales")
    people(5, "Sales", site="Sneek")
    rows = [
        ("department", "=", "Sales"),
        ("site", "in", "Leeuwarden, Drachten"),
        ("tenure", "<", "90d"),
    ]
    response = client_as(admin_user).post("/audiences/builder/", builder_data(rows))
    assert response.context["rule_text"] == (
        'department = "Sales" and site in ("Leeuwarden", "Drachten") and tenure < 90d'
    )
    body = text(response)
    assert 'id="rule-field" class="mb-2" hx-swap-oob="true"' in body
    assert 'id="rule-count" hx-swap-oob="innerHTML"' in body
    assert response.context["count"] == 0  # nobody has a hire date, so no tenure


def test_the_builder_joins_with_or_and_skips_unfinished_rows(
    admin_user: Any, client_as: Any
) -> None:
    people(6, "Sales")
    rows = [("department", "=", "Sales"), ("site", "=", ""), ("language", "is empty", "")]
    response = client_as(admin_user).post("/audiences/builder/", builder_data(rows, match="any"))
    assert response.context["rule_text"] == 'department = "Sales" or language is empty'
    assert response.context["count"] == 6


def test_the_builder_adds_and_removes_rows(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    rows = [("department", "=", "Sales"), ("site", "=", "Sneek")]
    added = client.post("/audiences/builder/", builder_data(rows, builder_action="add"))
    assert len(added.context["builder"].rows) == 3
    assert 'data-focus="id_cond-2-field"' in text(added)
    assert "Condition 3 field" in text(added)
    removed = client.post("/audiences/builder/", builder_data(rows, builder_action="remove-0"))
    assert removed.context["builder"].rows == [{"field": "site", "op": "=", "value": "Sneek"}]
    assert removed.context["rule_text"] == 'site = "Sneek"'


def test_the_builder_loads_a_flat_rule_and_declines_a_nested_one(
    admin_user: Any, client_as: Any
) -> None:
    client = client_as(admin_user)
    flat = client.post(
        "/audiences/builder/",
        builder_data([], builder_action="load", rule='site = "Sneek" or tenure >= 1y'),
    )
    assert flat.context["builder"].match == "any"
    assert flat.context["builder"].rows == [
        {"field": "site", "op": "=", "value": "Sneek"},
        {"field": "tenure", "op": ">=", "value": "1y"},
    ]
    assert not flat.context["rewrote"]
    nested = client.post(
        "/audiences/builder/",
        builder_data(
            [],
            builder_action="load",
            rule='site = "Sneek" and (tenure > 1y or not reports_to("a@example.com"))',
        ),
    )
    assert "This rule is too complex for the builder; edit the text." in text(nested)
    assert nested.context["builder"].rows == []


def test_the_builder_buttons_work_without_javascript(admin_user: Any, client_as: Any) -> None:
    data = form_data() | builder_data([("department", "=", "Sales")], builder_action="add")
    response = client_as(admin_user).post("/audiences/new/", data)
    assert response.status_code == 200
    assert not Audience.objects.exists()
    assert len(response.context["builder"].rows) == 2
    assert response.context["form"]["name"].value() == "Sales NL"


# --- the detail page ---------------------------------------------------------------------


def test_it_shows_the_count_sample_and_breakdown(admin_user: Any, client_as: Any) -> None:
    people(6, "Sales", site="Leeuwarden", language="nl")
    people(3, "Sales", site="Sneek", language="fy")
    people(2, "Sales", site="Joure", language="fy")
    audience()
    response = client_as(admin_user).get("/audiences/sales/")
    body = text(response)
    assert response.context["count"] == 11
    assert len(response.context["sample"]) == 10
    some = response.context["sample"][0]
    assert f'href="/directory/people/{some.pk}/"' in body
    sites = {b["key"]: b for b in response.context["breakdowns"]}["site"]["bars"]
    assert [(bar.label, bar.count) for bar in sites] == [
        ("Leeuwarden", 6),
        ("Other (groups under 5)", 5),
    ]
    assert "Sneek" not in re.sub(r'<a class="btn[^>]*>[^<]*</a>', "", body)
    assert '<meter min="0" max="11" value="6"' in body
    assert '<th scope="row"' in body and "<caption" in body


def test_it_never_shows_an_other_group_under_the_minimum(admin_user: Any, client_as: Any) -> None:
    people(12, "Sales", site="Leeuwarden", language="nl")
    people(6, "Sales", site="Amsterdam", language="nl")
    people(2, "Sales", site="Sneek", language="nl")
    audience()
    response = client_as(admin_user).get("/audiences/sales/")
    sites = {b["key"]: b for b in response.context["breakdowns"]}["site"]["bars"]
    # "Other" of 2 beside a total of 20 would give Sneek away: Amsterdam is folded in too.
    assert [(bar.label, bar.count) for bar in sites] == [
        ("Leeuwarden", 12),
        ("Other (groups under 5)", 8),
    ]


def test_it_says_when_a_saved_rule_no_longer_works(admin_user: Any, client_as: Any) -> None:
    audience(rule='in_audience("gone")')
    response = client_as(admin_user).get("/audiences/sales/")
    assert response.status_code == 200
    assert "This rule cannot be used" in text(response)


def test_it_explains_why_someone_is_in_or_out(admin_user: Any, client_as: Any) -> None:
    person("ann.archer@example.com", "Sales", "Sneek", language="nl")
    audience(rule='department = "Sales" and site = "Leeuwarden"')
    response = client_as(admin_user).get("/audiences/sales/", {"email": "Ann.Archer@example.com"})
    body = text(response)
    assert "Ann Archer is not in this audience." in body
    assert re.search(
        r'✓</span><span class="visually-hidden">matches:</span> '
        r"<code>department = &quot;Sales&quot;",
        body,
    )
    assert re.search(
        r'✗</span><span class="visually-hidden">does not match:</span> '
        r"<code>site = &quot;Leeuwarden&quot;",
        body,
    )


def test_it_says_when_nobody_has_the_address(
    admin_user: Any, client_as: Any, sales: Audience
) -> None:
    body = text(client_as(admin_user).get("/audiences/sales/", {"email": "nobody@example.com"}))
    assert "Nobody in the directory has the address nobody@example.com." in body
    assert 'aria-describedby="explain-email-error"' in body


# --- personas ----------------------------------------------------------------------------


def test_it_creates_edits_and_deletes_a_persona(
    admin_user: Any, client_as: Any, sales: Audience
) -> None:
    client = client_as(admin_user)
    data = {
        "name": "New seller",
        "wiifm": "Close deals faster",
        "needs": "Quick wins",
        "pain_points": "",
        "audience": str(sales.pk),
    }
    assert client.post("/audiences/personas/new/", data)["Location"] == "/audiences/personas/"
    created = Persona.objects.get()
    assert (created.wiifm, created.audience) == ("Close deals faster", sales)
    client.post(
        f"/audiences/personas/{created.pk}/edit/", data | {"wiifm": "Sell more", "audience": ""}
    )
    created.refresh_from_db()
    assert (created.wiifm, created.audience) == ("Sell more", None)
    assert "Sell more" in text(client.get("/audiences/personas/"))
    client.post(f"/audiences/personas/{created.pk}/delete/")
    assert not Persona.objects.exists()


def test_it_shows_persona_errors_inline(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post("/audiences/personas/new/", {"name": "", "wiifm": "x"})
    body = text(response)
    assert 'aria-invalid="true"' in body and 'id="id_name_error"' in body
    assert 'value="x"' in body
    assert not Persona.objects.exists()


def test_it_searches_personas_and_teaches_when_there_are_none(
    admin_user: Any, client_as: Any
) -> None:
    client = client_as(admin_user)
    assert "No personas yet" in text(client.get("/audiences/personas/"))
    Persona.objects.create(name="Night shift", wiifm="Learn on your phone")
    Persona.objects.create(name="Office", wiifm="Save time")
    found = client.get("/audiences/personas/", {"q": "phone"}).context["page"].object_list
    assert [p.name for p in found] == ["Night shift"]
