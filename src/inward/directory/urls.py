from django.urls import path

from inward.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("export.csv", views.export_csv, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/jobs/<int:job_id>/", views.import_job_page, name="import_job"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
]
