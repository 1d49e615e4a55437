from django.urls import path

from inward.audiences import views

app_name = "audiences"
urlpatterns = [
    path("", views.audience_list, name="list"),
    path("new/", views.audience_create, name="create"),
    path("count/", views.rule_count_fragment, name="count"),
    path("builder/", views.rule_builder, name="builder"),
    path("personas/", views.persona_list, name="personas"),
    path("personas/new/", views.persona_create, name="persona_create"),
    path("personas/<int:persona_id>/edit/", views.persona_edit, name="persona_edit"),
    path("personas/<int:persona_id>/delete/", views.persona_delete, name="persona_delete"),
    path("<slug:slug>/", views.audience_detail, name="detail"),
    path("<slug:slug>/edit/", views.audience_edit, name="edit"),
    path("<slug:slug>/delete/", views.audience_delete, name="delete"),
]
