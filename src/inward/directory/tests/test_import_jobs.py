"""Web imports as background jobs: the flow, progress, reloads, failures, who may look."""

from __future__ import annotations

import re
import signal
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from inward.directory import services
from inward.directory.models import ImportJob, ImportJobStatus, ImportStage, Person
from inward.directory.services import (
    DatabaseProgressSink,
    FileProgressSink,
    ImportProgress,
    JobProgress,
    import_job_create,
    import_job_progress,
    import_job_run,
    import_upload_path,
)

IMPORT = "/directory/import/"
GOOD_CSV = "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n"
HTMX_POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "import-job"}


def job_url(job: ImportJob) -> str:
    return f"/directory/import/jobs/{job.pk}/"


def main(response: Any) -> str:
    """The page's main content (the CSRF token in the header differs per response)."""
    return str(response.content.decode().split("<main", 1)[1])


def stored_job(text: str = GOOD_CSV, name: str = "people.csv", **fields: Any) -> ImportJob:
    """A queued job whose upload is on disk, as if an admin had just pressed Import."""
    job = ImportJob.objects.create(filename=name, stored_name=f"upload-{name}", **fields)
    path = import_upload_path(job.stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return job


def press_import(client: Client, capture: Any, text: str = GOOD_CSV) -> Any:
    """Upload, preview and press Import; return the redirect to the job's page."""
    uploaded = client.post(IMPORT, {"file": SimpleUploadedFile("people.csv", text.encode())})
    preview_url = uploaded["Location"]
    preview = client.get(preview_url)
    form = preview.context["form"]
    data = {name: str(form[name].value()) for name in form.fields if name.startswith("column_")}
    with capture(execute=True):
        return client.post(preview_url, data | {"action": "import"})


class RecordingSink:
    def __init__(self) -> None:
        self.published: list[JobProgress] = []
        self.closed = False

    def publish(self, progress: JobProgress) -> None:
        self.published.append(progress)

    def close(self) -> None:
        self.closed = True


# --- the flow ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_imports_in_the_background_and_shows_the_report_after_a_reload(
    admin_user: Any, client_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as(admin_user)

    response = press_import(client, django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job_url(job)
    assert job.status == ImportJobStatus.SUCCEEDED
    assert job.created_by == admin_user and job.filename == "people.csv"
    assert job.started_at is not None and job.finished_at is not None
    assert job.rows_total == job.rows_done == 2
    assert job.report["created"] == 2
    assert Person.objects.count() == 2
    assert not import_upload_path(job.stored_name).exists()
    first, again = client.get(job_url(job)), client.get(job_url(job))
    for page in (first.content.decode(), again.content.decode()):
        assert "Import finished" in page
        assert "Inward read 2 rows and saved the changes below." in page
        assert "ann@example.com" in page
        assert "hx-trigger" not in page
    assert main(first) == main(again)


@pytest.mark.django_db
def test_it_lists_recent_imports_on_the_upload_page(
    admin_user: Any, client_as: Any, django_assert_num_queries: Any
) -> None:
    client = client_as(admin_user)
    assert "No imports yet" in client.get(IMPORT).content.decode()
    for number in range(3):
        stored_job(name=f"people{number}.csv", created_by=admin_user)
    done = stored_job(name="done.csv", created_by=admin_user)
    import_job_run(job_id=done.pk)

    with django_assert_num_queries(3):  # session, user, jobs with their uploaders
        page = client.get(IMPORT).content.decode()

    assert "No imports yet" not in page
    assert f'href="{job_url(done)}">done.csv</a>' in page
    assert page.count(">ada</td>") == 4
    assert "Succeeded" in page and "Queued" in page
    row = re.search(r"done\.csv</a></th>(.*?)</tr>", page, re.S)
    assert row is not None
    assert re.findall(r'<td class="text-end">(\S+)</td>', row.group(1)) == ["2", "0", "0"]


# --- progress while it runs --------------------------------------------------------------


@pytest.mark.django_db
def test_a_queued_job_shows_a_progress_bar_and_polls_every_second(
    admin_user: Any, client_as: Any
) -> None:
    job = stored_job()
    client = client_as(admin_user)

    page = client.get(job_url(job)).content.decode()
    polled = client.get(job_url(job), **HTMX_POLL)

    assert 'hx-trigger="every 1s"' in page
    assert '<progress class="w-100" max="100" value="0"' in page
    assert 'aria-live="polite"' in page
    assert "Waiting to start…" in page
    assert f'<a href="{job_url(job)}">Refresh</a>' in page
    assert "Waiting for the background worker" not in page
    assert polled.status_code == 200
    body = polled.content.decode()
    assert '<div id="import-status" aria-live="polite" hx-swap-oob="innerHTML">' in body
    assert "<h1" not in body


@pytest.mark.django_db
def test_it_says_when_no_worker_picks_the_job_up(admin_user: Any, client_as: Any) -> None:
    job = stored_job()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=11))

    page = client_as(admin_user).get(job_url(job)).content.decode()

    assert "Waiting for the background worker… (is <code>inward serve</code>" in page


@pytest.mark.django_db
def test_a_running_job_shows_its_stage_and_percentage(admin_user: Any, client_as: Any) -> None:
    job = stored_job(
        status=ImportJobStatus.RUNNING, stage=ImportStage.WRITE, rows_done=50, rows_total=100
    )

    page = client_as(admin_user).get(job_url(job)).content.decode()

    assert "Writing…" in page
    assert "75% done" in page
    assert 'value="75"' in page
    assert "50 of 100 rows" in page


@pytest.mark.django_db
def test_the_last_poll_brings_the_report_and_stops_polling(admin_user: Any, client_as: Any) -> None:
    job = stored_job()
    import_job_run(job_id=job.pk)

    polled = client_as(admin_user).get(job_url(job), **HTMX_POLL)

    assert polled.status_code == 286  # htmx stops polling
    body = polled.content.decode()
    assert "Import finished" in body
    assert '<div id="import-result" hx-swap-oob="true">' in body
    assert "ann@example.com" in body


@pytest.mark.django_db
def test_it_publishes_progress_now_and_then_not_per_row(monkeypatch: Any) -> None:
    rows = "".join(f"p{n}@example.com,P{n}\n" for n in range(5000))
    job = stored_job("email,first_name\n" + rows)
    sink = RecordingSink()
    monkeypatch.setattr(services, "_progress_sink", lambda job_id: sink)

    import_job_run(job_id=job.pk)

    stages = [progress.stage for progress in sink.published]
    assert stages[0] == ImportStage.VALIDATE and stages[-1] == ImportStage.WRITE
    assert stages.index(ImportStage.WRITE) > 0
    assert len(sink.published) <= 2 * (1 / services.PROGRESS_FRACTION + 2)
    writes = [p for p in sink.published if p.stage == ImportStage.WRITE]
    assert {p.rows_total for p in writes} == {5000}
    assert sink.closed
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (ImportJobStatus.SUCCEEDED, 5000, 5000)


def test_progress_is_published_every_two_percent_or_half_second(monkeypatch: Any) -> None:
    clock = [100.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    sink = RecordingSink()
    progress = ImportProgress(sink=sink, rows_total=1000)
    progress.stage(ImportStage.VALIDATE)

    for _ in range(1000):
        progress.advance(1)

    assert len(sink.published) == 1 + 50
    assert sink.published[-1] == JobProgress(ImportStage.VALIDATE, 1000, 1000)
    unknown = ImportProgress(sink=RecordingSink(), rows_total=0)
    unknown.stage(ImportStage.VALIDATE)
    unknown.advance(400)
    clock[0] += 0.6
    unknown.advance(1)
    assert [p.rows_done for p in unknown.sink.published] == [0, 401]  # type: ignore[attr-defined]


def test_the_bar_gives_each_pass_half_and_never_shows_100_before_the_end() -> None:
    assert JobProgress("", 0, 0).percent == 0
    assert JobProgress(ImportStage.VALIDATE, 0, 0).percent is None  # size unknown
    assert JobProgress(ImportStage.VALIDATE, 30, 100).percent == 15
    assert JobProgress(ImportStage.WRITE, 30, 100).percent == 65
    assert JobProgress(ImportStage.WRITE, 500, 100).percent == 99


@pytest.mark.django_db
def test_the_file_sink_is_read_while_the_job_runs() -> None:
    job = stored_job(status=ImportJobStatus.RUNNING)
    sink = FileProgressSink(job.pk)

    sink.publish(JobProgress(ImportStage.WRITE, 7, 10))

    assert import_job_progress(job=job) == JobProgress(ImportStage.WRITE, 7, 10)
    sink.close()
    assert import_job_progress(job=job) == JobProgress("", 0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_database_sink_writes_on_a_connection_of_its_own() -> None:
    job = stored_job(status=ImportJobStatus.RUNNING)
    sink = DatabaseProgressSink(job.pk)

    sink.publish(JobProgress(ImportStage.VALIDATE, 3, 10))
    sink.close()

    job.refresh_from_db()
    assert (job.stage, job.rows_done, job.rows_total) == (ImportStage.VALIDATE, 3, 10)


# --- twice, and failures -----------------------------------------------------------------


@pytest.mark.django_db
def test_running_a_job_twice_does_nothing_the_second_time() -> None:
    job = stored_job()
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    Person.objects.filter(email="ann@example.com").update(first_name="Changed")

    import_job_run(job_id=job.pk)

    again = ImportJob.objects.get(pk=job.pk)
    assert (again.status, again.finished_at, again.report) == (
        ImportJobStatus.SUCCEEDED,
        job.finished_at,
        job.report,
    )
    assert Person.objects.get(email="ann@example.com").first_name == "Changed"


@pytest.mark.django_db
def test_a_file_the_importer_refuses_fails_the_job_with_its_message(
    admin_user: Any, client_as: Any
) -> None:
    job = stored_job("name\nAnn\n")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "e-mail" in job.error.lower() or "email" in job.error.lower()
    assert job.finished_at is not None
    assert not import_upload_path(job.stored_name).exists()
    page = client_as(admin_user).get(job_url(job)).content.decode()
    assert "Import failed" in page
    assert job.error in page
    assert "hx-trigger" not in page


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_and_reaches_the_worker(monkeypatch: Any) -> None:
    job = stored_job()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "import_people", broken)

    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == (ImportJobStatus.FAILED, "RuntimeError: disk on fire")
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_job_whose_upload_is_gone_fails_instead_of_hanging() -> None:
    job = stored_job()
    import_upload_path(job.stored_name).unlink()

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "no longer there" in job.error


# --- who may look ------------------------------------------------------------------------


@pytest.mark.django_db
def test_any_admin_may_follow_any_import(admin_user: Any, client_as: Any) -> None:
    from inward.accounts.models import User

    other = User.objects.create_user(username="alan", password="x" * 20, role="admin")
    job = stored_job(created_by=other)

    page = client_as(admin_user).get(job_url(job)).content.decode()

    assert "uploaded by alan" in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager_user", "channel_owner_user", "employee_user"])
def test_only_admins_see_import_jobs(persona: str, request: Any, client_as: Any) -> None:
    job = stored_job()

    response = client_as(request.getfixturevalue(persona)).get(job_url(job))

    assert response.status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(outsider_user: Any, client_as: Any) -> None:
    job = stored_job()
    for client in (Client(), client_as(outsider_user)):
        response = client.get(job_url(job))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_missing_job_is_404(admin_user: Any, client_as: Any) -> None:
    assert client_as(admin_user).get("/directory/import/jobs/999/").status_code == 404


# --- the real queue ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_job(admin_user: Any, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stored_job()
    ImportJob.objects.filter(pk=job.pk).delete()  # only the file: the service makes the job
    job = import_job_create(
        actor=admin_user,
        stored_name=job.stored_name,
        filename="people.csv",
        mapping={},
        full_sync=False,
    )
    task_row = DBTaskResult.objects.get()
    assert task_row.args_kwargs["kwargs"] == {"job_id": job.pk}
    assert ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.QUEUED

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED, job.error
    assert Person.objects.count() == 2
    task_row.refresh_from_db()
    assert task_row.status == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_stored_report_reads_in_the_viewers_language(admin_user: Any, client_as: Any) -> None:
    job = stored_job("email,hire_date\nann@example.com,2024-13-01\n")
    import_job_run(job_id=job.pk)
    client = client_as(admin_user)
    assert "bad date &#x27;2024-13-01&#x27; in hire_date" in main(client.get(job_url(job)))
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    assert "ongeldige datum &#x27;2024-13-01&#x27; in hire_date" in main(client.get(job_url(job)))


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_marked_failed_and_stops_polling(
    admin_user: Any, client_as: Any
) -> None:
    job = stored_job(status=ImportJobStatus.RUNNING)
    long_ago = timezone.now() - timedelta(minutes=11)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
    response = client_as(admin_user).get(job_url(job))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "its worker was stopped" in main(response)
    assert 'hx-trigger="every 1s"' not in main(response)


@pytest.mark.django_db
def test_a_long_job_that_still_reports_progress_is_left_running(
    admin_user: Any, client_as: Any
) -> None:
    job = stored_job(status=ImportJobStatus.RUNNING)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    progress = services._progress_path(job.pk)
    progress.write_text('{"stage": "write", "rows_done": 5, "rows_total": 10}', encoding="utf-8")
    response = client_as(admin_user).get(job_url(job))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.RUNNING
    assert 'hx-trigger="every 1s"' in main(response)
