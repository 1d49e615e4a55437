"""The directory pages, as each persona sees them, and the import wizard end to end."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inward.directory.models import Department, Person, Site, Status

pytestmark = pytest.mark.django_db

LIST = "/directory/"
IMPORT = "/directory/import/"
EXPORT = "/directory/export.csv"
READERS = ["admin_user", "manager_user", "channel_owner_user"]


def person(email: str, **fields: Any) -> Person:
    first, _, last = email.split("@")[0].partition(".")
    fields.setdefault("first_name", first.title())
    fields.setdefault("last_name", last.title())
    return Person.objects.create(email=email, **fields)


def names(response: Any) -> list[str]:
    return [p.display_name for p in response.context["page"].object_list]


def csv_upload(text: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def upload(client: Client, text: str, name: str = "people.csv") -> str:
    """Upload a file; return the preview URL it redirects to."""
    response = client.post(IMPORT, {"file": csv_upload(text, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


# --- who may see what --------------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_it_shows_the_list_to_readers(persona: str, request: Any, client_as: Any) -> None:
    person("ann.archer@example.com")
    response = client_as(request.getfixturevalue(persona)).get(LIST)
    assert response.status_code == 200
    assert "Ann Archer" in response.content.decode()


def test_it_refuses_the_list_to_employees(employee_user: Any, client_as: Any) -> None:
    assert client_as(employee_user).get(LIST).status_code == 403


@pytest.mark.parametrize("url", [LIST, IMPORT, EXPORT, "/directory/people/1/"])
def test_it_sends_outsiders_and_anonymous_visitors_to_sign_in(
    url: str, outsider_user: Any, client_as: Any
) -> None:
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    inactive = client_as(outsider_user).get(url)
    assert inactive.status_code == 302
    assert inactive["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["manager_user", "channel_owner_user", "employee_user"])
@pytest.mark.parametrize("url", [IMPORT, EXPORT])
def test_it_keeps_import_and_export_for_admins(
    persona: str, url: str, request: Any, client_as: Any
) -> None:
    assert client_as(request.getfixturevalue(persona)).get(url).status_code == 403


def test_it_shows_export_and_import_links_to_admins_only(
    admin_user: Any, manager_user: Any, client_as: Any
) -> None:
    person("ann.archer@example.com")
    assert EXPORT in client_as(admin_user).get(LIST).content.decode()
    manager_page = client_as(manager_user).get(LIST).content.decode()
    assert EXPORT not in manager_page
    assert IMPORT not in manager_page.split("<main", 1)[1]


@pytest.mark.parametrize("persona", READERS)
def test_it_shows_a_person_page_to_readers(persona: str, request: Any, client_as: Any) -> None:
    boss = person("bea.boss@example.com", job_title="CEO")
    ann = person("ann.archer@example.com", manager=boss, tags=";sales;nl;", attributes={"shoe": 42})
    person("rob.report@example.com", manager=ann)
    response = client_as(request.getfixturevalue(persona)).get(f"/directory/people/{ann.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ann Archer" in page
    assert f'href="/directory/people/{boss.pk}/"' in page
    assert "Rob Report" in page
    assert "sales" in page
    assert "shoe" in page


def test_it_shows_employees_their_own_person_page(employee_user: Any, client_as: Any) -> None:
    boss = person("bea.boss@example.com")
    emma = person("Emma@Example.com".lower(), manager=boss)
    response = client_as(employee_user).get(f"/directory/people/{emma.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bea Boss" in page
    assert f"/directory/people/{boss.pk}/" not in page  # named, but not a link they cannot open


def test_it_refuses_employees_anyone_elses_page(employee_user: Any, client_as: Any) -> None:
    person("emma@example.com")
    other = person("ann.archer@example.com")
    client = client_as(employee_user)
    assert client.get(f"/directory/people/{other.pk}/").status_code == 403
    assert client.get("/directory/people/999999/").status_code == 403  # no existence leak


def test_it_answers_404_for_a_missing_person(admin_user: Any, client_as: Any) -> None:
    assert client_as(admin_user).get("/directory/people/999999/").status_code == 404


# --- search, filter, sort, paginate -------------------------------------------------------


@pytest.fixture
def staff() -> dict[str, Person]:
    sales = Department.objects.create(name="Sales", path="Sales")
    it = Department.objects.create(name="IT", path="IT")
    leeuwarden = Site.objects.create(name="Leeuwarden")
    utrecht = Site.objects.create(name="Utrecht")
    return {
        "ann": person(
            "ann.archer@example.com",
            job_title="Account manager",
            department=sales,
            site=leeuwarden,
            language="nl",
        ),
        "bob": person(
            "bob.baker@example.com",
            job_title="Developer",
            department=it,
            site=utrecht,
            language="en",
            status=Status.LEFT,
        ),
        "cat": person(
            "cat.cooper@example.com",
            job_title="Sales lead",
            department=sales,
            site=utrecht,
            language="fy",
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "archer"}, ["Ann Archer"]),
        ({"q": "BOB.BAKER@"}, ["Bob Baker"]),
        ({"q": "developer"}, ["Bob Baker"]),
        ({"department": "Sales"}, ["Ann Archer", "Cat Cooper"]),
        ({"site": "Utrecht"}, ["Bob Baker", "Cat Cooper"]),
        ({"language": "fy"}, ["Cat Cooper"]),
        ({"status": "left"}, ["Bob Baker"]),
        ({"department": "Sales", "site": "Utrecht"}, ["Cat Cooper"]),
        ({"sort": "-name"}, ["Cat Cooper", "Bob Baker", "Ann Archer"]),
        ({"sort": "email"}, ["Ann Archer", "Bob Baker", "Cat Cooper"]),
    ],
)
def test_it_searches_filters_and_sorts(
    params: dict[str, str],
    expected: list[str],
    staff: dict[str, Person],
    manager_user: Any,
    client_as: Any,
) -> None:
    response = client_as(manager_user).get(LIST, params)
    assert response.status_code == 200
    assert names(response) == expected


def test_it_ignores_unknown_filter_values(
    staff: dict[str, Person], manager_user: Any, client_as: Any
) -> None:
    response = client_as(manager_user).get(LIST, {"sort": "password", "status": "nope"})
    assert response.status_code == 200
    assert len(names(response)) == 3


def test_it_marks_the_sorted_column_for_screen_readers(
    staff: dict[str, Person], manager_user: Any, client_as: Any
) -> None:
    page = client_as(manager_user).get(LIST, {"sort": "-email"}).content.decode()
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a[^>]*>E-mail', page)
    assert 'aria-sort="ascending"' not in page


def test_it_pages_fifty_at_a_time_and_keeps_the_filters(admin_user: Any, client_as: Any) -> None:
    Person.objects.bulk_create(
        Person(email=f"p{i:03}@example.com", last_name=f"Person {i:03}", job_title="Clerk")
        for i in range(120)
    )
    client = client_as(admin_user)
    first = client.get(LIST, {"q": "clerk"})
    assert len(names(first)) == 50
    assert first.context["page"].paginator.count == 120
    assert "Showing 1\u201350 of 120 people" in first.content.decode()
    assert "?q=clerk&amp;page=2" in first.content.decode()
    last = client.get(LIST, {"q": "clerk", "page": "3"})
    assert len(names(last)) == 20
    assert client.get(LIST, {"page": "99"}).context["page"].number == 3


def test_it_lists_with_a_constant_number_of_queries(
    admin_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    sales = Department.objects.create(name="Sales", path="Sales")
    site = Site.objects.create(name="Leeuwarden")
    client = client_as(admin_user)
    client.get(LIST)  # warm up the session and the user
    Person.objects.bulk_create(
        Person(email=f"p{i}@example.com", department=sales, site=site, language="nl")
        for i in range(60)
    )
    with django_assert_max_num_queries(10):
        assert client.get(LIST).status_code == 200


def test_it_answers_htmx_with_the_results_alone(
    staff: dict[str, Person], manager_user: Any, client_as: Any
) -> None:
    response = client_as(manager_user).get(
        LIST, {"q": "cooper"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert '<div id="results"' in page
    assert "Cat Cooper" in page
    assert "Ann Archer" not in page
    assert 'id="results-status" hx-swap-oob="innerHTML"' in page


def test_it_answers_an_htmx_history_restore_with_the_whole_page(
    staff: dict[str, Person], manager_user: Any, client_as: Any
) -> None:
    headers = {
        "HX-Request": "true",
        "HX-Target": "results",
        "HX-History-Restore-Request": "true",
    }
    response = client_as(manager_user).get(LIST, headers=headers)
    assert "<html" in response.content.decode()


def test_it_teaches_admins_how_to_fill_an_empty_directory(admin_user: Any, client_as: Any) -> None:
    page = client_as(admin_user).get(LIST).content.decode()
    assert "No people yet" in page
    assert f'href="{IMPORT}"' in page
    assert "inward demo" in page


def test_it_says_when_no_one_matches_the_filters(
    staff: dict[str, Person], manager_user: Any, client_as: Any
) -> None:
    page = client_as(manager_user).get(LIST, {"q": "zebra"}).content.decode()
    assert "No one matches these filters" in page
    assert "No people yet" not in page


# --- export -------------------------------------------------------------------------------


def test_it_exports_csv_as_an_attachment_with_formulas_neutralised(
    admin_user: Any, client_as: Any
) -> None:
    person("ann.archer@example.com", job_title='=HYPERLINK("http://evil")')
    response = client_as(admin_user).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="people.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "ann.archer@example.com" in body
    assert ",=HYPERLINK" not in body
    assert "'=HYPERLINK" in body


def test_it_exports_only_the_people_matching_the_filters(
    staff: dict[str, Person], admin_user: Any, client_as: Any
) -> None:
    response = client_as(admin_user).get(EXPORT, {"site": "Utrecht"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "cat.cooper@example.com" in body
    assert "ann.archer@example.com" not in body


# --- import -------------------------------------------------------------------------------

GOOD_CSV = (
    "email,first_name,last_name,department,Shoe size,Notes\n"
    "ann@example.com,Ann,Archer,Sales,38,likes tea\n"
    "bob@example.com,Bob,Baker,IT,44,\n"
)


def mapping_post(response: Any, action: str, **overrides: str) -> dict[str, str]:
    """The preview form as a browser would submit it, with the suggested mapping."""
    form = response.context["form"]
    data = {name: str(form[name].value()) for name in form.fields if name.startswith("column_")}
    data.update(overrides)
    data["action"] = action
    return data


@pytest.fixture
def import_now(django_capture_on_commit_callbacks: Any) -> Any:
    """Press Import: the job is enqueued on commit and, with the ImmediateBackend, runs at
    once; follow the redirect to the job's page."""

    def press(client: Client, preview_url: str, data: dict[str, str]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(preview_url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert re.fullmatch(r"/directory/import/jobs/\d+/", response["Location"])
        return client.get(response["Location"])

    return press


def test_it_shows_the_upload_form_to_admins(admin_user: Any, client_as: Any) -> None:
    page = client_as(admin_user).get(IMPORT).content.decode()
    assert 'type="file"' in page
    assert 'accept=".csv,.txt,.xlsx"' in page
    assert '<label class="form-label" for="id_file">' in page


def test_it_imports_a_file_after_preview_and_dry_run(
    admin_user: Any, client_as: Any, import_now: Any
) -> None:
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    preview = client.get(preview_url)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Shoe size" in page
    assert "likes tea" in page
    assert preview.context["form"]["column_0"].value() == "email"
    assert preview.context["form"]["column_4"].value() == "attr"

    notes_ignored = {"column_5": "ignore"}
    dry = client.post(preview_url, mapping_post(preview, "dry_run", **notes_ignored))
    assert dry.status_code == 200
    assert dry.context["report"].dry_run
    assert dry.context["report"].created == 2
    assert "ann@example.com" in dry.content.decode()
    assert "Nothing was saved" in dry.content.decode()
    assert Person.objects.count() == 0

    done = import_now(client, preview_url, mapping_post(preview, "import", **notes_ignored))
    assert done.status_code == 200
    assert "Import finished" in done.content.decode()
    assert "Inward read 2 rows and saved the changes below." in done.content.decode()
    ann = Person.objects.get(email="ann@example.com")
    assert ann.department is not None and ann.department.path == "Sales"
    assert ann.attributes == {"Shoe size": "38"}
    assert Person.objects.count() == 2
    assert client.get(preview_url).status_code == 302  # the upload is gone


def test_it_deletes_the_stored_file_after_the_import(
    admin_user: Any, client_as: Any, settings: Any, import_now: Any
) -> None:
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    folder = Path(settings.MEDIA_ROOT) / "imports"
    assert len(list(folder.iterdir())) == 1
    preview = client.get(preview_url)
    import_now(client, preview_url, mapping_post(preview, "import"))
    assert list(folder.iterdir()) == []


def test_it_lists_bad_rows_with_their_line_numbers(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    preview_url = upload(
        client,
        "email,first_name,hire_date\n"
        "ann@example.com,Ann,2024-01-02\n"
        "not-an-address,Bob,2024-01-02\n"
        "cat@example.com,Cat,yesterday\n",
    )
    preview = client.get(preview_url)
    response = client.post(preview_url, mapping_post(preview, "dry_run"))
    report = response.context["report"]
    assert sorted(error.line for error in report.errors) == [3, 4]
    page = response.content.decode()
    assert "Rows that were rejected" in page
    assert re.search(r'<th scope="row" class="fw-normal">3</th>', page)
    assert re.search(r'<th scope="row" class="fw-normal">4</th>', page)


def test_it_refuses_a_file_that_is_not_a_spreadsheet(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post(
        IMPORT, {"file": SimpleUploadedFile("photo.png", b"\x89PNG\r\n", "image/png")}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a .csv, .txt or .xlsx file" in page
    assert 'aria-invalid="true"' in page


def test_it_explains_why_a_file_cannot_be_read(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post(IMPORT, {"file": csv_upload("  \n\n")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This file cannot be imported" in page
    assert 'role="alert"' in page


def test_it_explains_a_broken_workbook(admin_user: Any, client_as: Any) -> None:
    broken = SimpleUploadedFile("people.xlsx", b"PK\x03\x04 not really a zip")
    response = client_as(admin_user).post(IMPORT, {"file": broken})
    assert response.status_code == 200
    assert "This file cannot be imported" in response.content.decode()


def test_it_keeps_the_chosen_mapping_when_it_is_invalid(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    preview = client.get(preview_url)
    data = mapping_post(preview, "dry_run", column_1="email", full_sync="on")
    response = client.post(preview_url, data)
    page = response.content.decode()
    assert "Another column is already mapped to this field" in page
    assert 'aria-describedby="id_column_1-error"' in page
    assert response.context["form"]["column_1"].value() == "email"
    assert response.context["form"]["full_sync"].value() is True
    assert Person.objects.count() == 0


def test_it_requires_an_email_column(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    preview = client.get(preview_url)
    response = client.post(preview_url, mapping_post(preview, "import", column_0="ignore"))
    assert "Map one column to E-mail" in response.content.decode()
    assert Person.objects.count() == 0


def test_it_marks_absent_people_as_left_only_on_full_sync(
    admin_user: Any, client_as: Any, import_now: Any
) -> None:
    person("gone@example.com")
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    preview = client.get(preview_url)
    dry = client.post(preview_url, mapping_post(preview, "dry_run", full_sync="on"))
    assert dry.context["report"].marked_left == 1
    done = import_now(client, preview_url, mapping_post(preview, "import", full_sync="on"))
    assert done.context["job"].report["marked_left"] == 1
    assert Person.objects.get(email="gone@example.com").status == Status.LEFT


def test_it_does_not_let_another_session_use_an_upload(admin_user: Any, client_as: Any) -> None:
    preview_url = upload(client_as(admin_user), GOOD_CSV)
    stranger = Client()
    stranger.force_login(admin_user)
    response = stranger.get(preview_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:import")


def test_it_previews_and_imports_an_xlsx_workbook(
    admin_user: Any, client_as: Any, import_now: Any
) -> None:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Email address", "Given name", "Team"])
    sheet.append(["ann@example.com", "Ann", "Sales"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = client_as(admin_user)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("people.xlsx", buffer.getvalue())})
    preview_url = str(response["Location"])
    preview = client.get(preview_url)
    assert "Given name" in preview.content.decode()
    assert preview.context["form"]["column_2"].value() == "department"
    done = import_now(client, preview_url, mapping_post(preview, "import"))
    assert "Import finished" in done.content.decode()
    ann = Person.objects.get(email="ann@example.com")
    assert ann.first_name == "Ann"


def test_it_refuses_a_file_over_the_size_limit(
    admin_user: Any, client_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("inward.directory.forms.IMPORT_MAX_BYTES", 10)
    response = client_as(admin_user).post(IMPORT, {"file": csv_upload(GOOD_CSV)})
    assert "larger than 50 MB" in response.content.decode()


def test_it_shows_a_person_page_with_a_constant_number_of_queries(
    admin_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    top = person("bea.boss@example.com")
    middle = person("max.middle@example.com", manager=top)
    Person.objects.bulk_create(
        Person(email=f"r{i}@example.com", manager=middle, last_name=f"R{i}") for i in range(30)
    )
    client = client_as(admin_user)
    client.get(LIST)
    with django_assert_max_num_queries(8):
        response = client.get(f"/directory/people/{middle.pk}/")
    assert response.status_code == 200
    assert len(response.context["reports"]) == 30


def test_a_full_sync_waits_for_a_dry_run_that_shows_who_would_be_marked_left(
    admin_user: Any, client_as: Any, import_now: Any
) -> None:
    person("gone@example.com")
    client = client_as(admin_user)
    preview_url = upload(client, GOOD_CSV)
    preview = client.get(preview_url)
    first = client.post(preview_url, mapping_post(preview, "import", full_sync="on"))
    assert first.status_code == 200  # not started: a dry run is shown instead
    assert "Full sync would mark 1 person who is not in the file as left" in first.content.decode()
    assert Person.objects.get(email="gone@example.com").status == Status.ACTIVE
    done = import_now(client, preview_url, mapping_post(preview, "import", full_sync="on"))
    assert done.context["job"].report["marked_left"] == 1
