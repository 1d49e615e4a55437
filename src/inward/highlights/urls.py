from django.urls import path

from inward.highlights import views

app_name = "highlights"
urlpatterns = [
    path("", views.highlight_list_view, name="list"),
    path("new/", views.highlight_create, name="create"),
    path("<int:highlight_id>/edit/", views.highlight_edit, name="edit"),
    path("<int:highlight_id>/pin/", views.highlight_pin, name="pin"),
    path("<int:highlight_id>/delete/", views.highlight_delete, name="delete"),
    path("<int:highlight_id>/picture/", views.highlight_picture, name="picture"),
    path("stakeholders/", views.stakeholder_list, name="stakeholders"),
    path("stakeholders/new/", views.stakeholder_create, name="stakeholder_create"),
    path(
        "stakeholders/<int:stakeholder_id>/",
        views.stakeholder_detail,
        name="stakeholder_detail",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/edit/",
        views.stakeholder_edit,
        name="stakeholder_edit",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/delete/",
        views.stakeholder_delete,
        name="stakeholder_delete",
    ),
    path("digests/", views.digest_list_view, name="digests"),
    path("digests/new/", views.digest_create, name="digest_create"),
    path("digests/<int:digest_id>/", views.digest_detail, name="digest_detail"),
    path("digests/<int:digest_id>/edit/", views.digest_edit, name="digest_edit"),
    path("digests/<int:digest_id>/progress/", views.digest_progress, name="digest_progress"),
    path("digests/<int:digest_id>/send/", views.digest_send, name="digest_send"),
    path("digests/<int:digest_id>/retry/", views.digest_retry, name="digest_retry"),
    path("digests/<int:digest_id>/delete/", views.digest_delete, name="digest_delete"),
]
