from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("governors/", views.governors_reports, name="governors"),
    path("governors/<int:pk>/download/", views.governors_download, name="governors-download"),
]
