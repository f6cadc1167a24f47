from django.urls import path

from . import staff_views

app_name = "calendar"

urlpatterns = [
    path("", staff_views.index, name="index"),
    path("<slug:kind>/<int:pk>/delete/", staff_views.delete, name="delete"),
]
