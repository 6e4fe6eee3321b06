from django.urls import path

from stats import views

urlpatterns = [
    path("stats/", views.report_page, name="stats"),
    path("stats/report.csv", views.report_csv, name="stats-csv"),
    path("api/stats/", views.api, name="stats-api"),
]
