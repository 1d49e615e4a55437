from django.urls import path

from inward.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("import/", views.import_page, name="import"),
]
