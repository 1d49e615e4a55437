"""The Learning Record Store, mounted at ``/xapi/`` (xAPI 1.0.3)."""

from __future__ import annotations

from django.urls import path

from inward.xapi import document_views, views

app_name = "xapi"

urlpatterns = [
    path("about", views.about, name="about"),
    path("statements", views.statements, name="statements"),
    path("statements/more/<str:token>", views.statements_more, name="statements_more"),
    path("activities", document_views.activities, name="activities"),
    path("activities/state", document_views.state, name="state"),
    path("activities/profile", document_views.activity_profile, name="activity_profile"),
    path("agents", document_views.agents, name="agents"),
    path("agents/profile", document_views.agent_profile, name="agent_profile"),
]
