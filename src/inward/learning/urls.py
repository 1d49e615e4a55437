from django.urls import path

from inward.learning import views

app_name = "learning"
urlpatterns = [
    path("", views.offering_list_view, name="list"),
    path("new/", views.offering_create, name="create"),
    path("<slug:slug>/", views.offering_detail, name="detail"),
    path("<slug:slug>/edit/", views.offering_edit, name="edit"),
    path("<slug:slug>/personas/", views.offering_personas_edit, name="personas"),
    path("<slug:slug>/delete/", views.offering_delete, name="delete"),
]
