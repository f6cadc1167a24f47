"""Measures' staff pages, under /staff/ and the `staff:` names with the case pages (added to
incidents.staff_urls from MeasuresConfig.ready)."""

from django.urls import path

from . import views

urlpatterns = [
    path("bans/", views.register, name="register"),
]
