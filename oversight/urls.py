from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("governors/", views.governors_reports, name="governors"),
    path("governors/<int:pk>/download/", views.governors_download, name="governors-download"),
    path("deadlines/", views.deadline_calendar, name="deadlines"),
    path("deadlines/feed/", views.deadline_feed_manage, name="deadline-feed-manage"),
    path("deadlines/feed/<str:token>.ics", views.deadline_feed, name="deadline-feed"),
]
