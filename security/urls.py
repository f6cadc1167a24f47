from django.urls import path

from . import views

app_name = "session"

urlpatterns = [
    path("keep-alive/", views.keep_alive, name="keep-alive"),
]
