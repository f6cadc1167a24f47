"""allauth's pages under /staff/account/ (second factors, passkeys, the school's own sign-in),
less what we do ourselves: sign-in and password reset (incidents' staff URLs, our views), email
addresses (an administrator sets a member of staff's address), and starting a school sign-in
anywhere but the sign-in page."""

from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("login/", RedirectView.as_view(pattern_name="staff:login", query_string=True)),
    path("password/reset/", RedirectView.as_view(pattern_name="staff:password-reset")),
    path("email/", RedirectView.as_view(pattern_name="mfa_index")),
    path("oidc/<str:provider_id>/login/", views.school_sign_in_start),
    path("", include("allauth.urls")),
]
