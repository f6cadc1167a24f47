"""The app's URLs plus the bench's baselines. Only `bench.settings` loads this module."""

from django.urls import path

from schoolconduct.urls import urlpatterns as app_urlpatterns

from . import views

urlpatterns = [
    path("bench/bare-list/", views.bare_list, name="bench-bare-list"),
    path("bench/bare-upload/", views.bare_upload, name="bench-bare-upload"),
    *app_urlpatterns,
]
