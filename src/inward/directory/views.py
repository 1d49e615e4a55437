from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inward.accounts import access
from inward.directory.models import Person


def person_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_directory(request.user))
    people = Person.objects.select_related("department", "site")[:50]
    return render(request, "directory/person_list.html", {"people": people})


def import_page(request: HttpRequest) -> HttpResponse:
    access.require(access.can_import_directory(request.user))
    return render(request, "directory/import.html", {})
