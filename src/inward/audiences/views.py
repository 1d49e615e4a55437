from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inward.accounts import access
from inward.audiences.models import Audience, Persona


def audience_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_audiences(request.user))
    return render(request, "audiences/audience_list.html", {"audiences": Audience.objects.all()})


def persona_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_audiences(request.user))
    return render(request, "audiences/persona_list.html", {"personas": Persona.objects.all()})
