"""Measures' staff pages. They share the `staff` URL namespace (and /staff/ prefix) with the
case pages: schoolconduct/urls.py joins the two lists under one include."""

from django.urls import path

from . import views

urlpatterns = [
    path("bans/", views.register, name="register"),
]
