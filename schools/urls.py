from django.urls import path

from . import views

app_name = "schools"

urlpatterns = [
    path("", views.home, name="home"),
    path("s/<slug:school>/", views.school_detail, name="school"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
