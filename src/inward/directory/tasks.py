"""Background tasks of the directory: thin wrappers that take ids and call a service."""

from __future__ import annotations

from django.tasks import task

from inward.directory.services import import_job_run


@task()
def import_job_run_task(job_id: int) -> None:
    """Run a web import; safe to run twice (see ``import_job_run``)."""
    import_job_run(job_id=job_id)
