"""The LMS client and unmatched-statement pages, for admins. Mounted at ``settings/lrs/``."""

from __future__ import annotations

from django.urls import path

from inward.xapi import admin_views

app_name = "lrs_admin"

urlpatterns = [
    path("", admin_views.client_list, name="client_list"),
    path("new/", admin_views.client_create, name="client_create"),
    path("created/", admin_views.client_created, name="client_created"),
    path("<int:pk>/enabled/", admin_views.client_set_enabled_view, name="client_enabled"),
    path("<int:pk>/delete/", admin_views.client_delete_view, name="client_delete"),
    path("unmatched/", admin_views.unmatched, name="unmatched"),
    path("unmatched/rematch/", admin_views.rematch_view, name="rematch"),
]
