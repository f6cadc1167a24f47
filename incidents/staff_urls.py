from django.contrib.auth import views as auth_views
from django.urls import path

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
]
