"""Reads for the directory."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q

from inward.accounts.models import User
from inward.directory.models import Department, Person, Site, Status


def person_for_user(user: User | AnonymousUser) -> Person | None:
    """The directory record of a signed-in user, matched by e-mail, case-insensitively."""
    if not user.is_authenticated or not user.email:
        return None
    return (
        Person.objects.select_related("department", "site", "manager")
        .filter(email=user.email.strip().lower())
        .first()
    )


def directory_summary() -> dict[str, int]:
    from inward.audiences.models import Audience

    people = Person.objects.aggregate(active=Count("id", filter=Q(status=Status.ACTIVE)))
    return {
        "active": people["active"],
        "departments": Department.objects.count(),
        "sites": Site.objects.count(),
        "audiences": Audience.objects.count(),
    }
