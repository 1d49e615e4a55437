"""Background tasks of the learning record store: thin wrappers that take ids."""

from __future__ import annotations

from django.tasks import task

from inward.xapi.matching import rematch


@task()
def lrs_rematch_task(client_id: int | None = None) -> None:
    """Match stored statements again; safe to run twice (see ``rematch``)."""
    rematch(client_id=client_id)
