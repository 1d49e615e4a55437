from django.urls import path

from inward.analytics import views

app_name = "analytics"
urlpatterns = [
    path("campaigns/<slug:slug>/", views.campaign_results, name="results"),
    path("campaigns/<slug:slug>/breakdown/", views.campaign_breakdown, name="breakdown"),
    path("campaigns/<slug:slug>/learning/", views.campaign_learning, name="learning"),
    path("campaigns/<slug:slug>/export.csv", views.campaign_export, name="export"),
    path("campaigns/<slug:slug>/report/", views.campaign_report, name="report"),
    path("campaigns/<slug:slug>/report.pdf", views.campaign_report_pdf, name="report_pdf"),
    path("me/", views.my_data, name="my_data"),
    path("me/data.json", views.my_data_download, name="my_data_download"),
    path("people/<int:person_id>/", views.person_data, name="person"),
    path("people/<int:person_id>/data.json", views.person_data_download, name="person_download"),
]
