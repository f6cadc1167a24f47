"""Staff sign-in pages: the password form (then allauth's second-factor step) and accepting an
invitation (set a password, then set up a second factor)."""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    LoginView,
    PasswordResetConfirmView,
)
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property

from .services import has_second_factor, staff_sign_in


class SignInView(LoginView):
    """Username and password (django-axes counts failures), then allauth's second-factor step;
    or a passkey; or the school's own sign-in."""

    template_name = "staff/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        return staff_sign_in(
            request=self.request, user=form.get_user(), redirect_url=self.get_success_url()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["school_sign_ins"] = self.school_sign_ins
        context["two_factor_required"] = settings.REQUIRE_TWO_FACTOR
        return context

    @cached_property
    def school_sign_ins(self) -> list[SocialApp]:
        return list(
            SocialApp.objects.filter(
                provider="openid_connect", school_sign_in__isnull=False
            ).order_by("name")
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # A school sign-in button posts here and is redirected to the school's identity
        # provider: the browser checks that redirect against this page's form-action.
        origins = sorted(
            {_origin(app.settings.get("server_url", "")) for app in self.school_sign_ins} - {""}
        )
        if origins:
            response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return (
        f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in ("https", "http") and parts.netloc
        else ""
    )


class AcceptInvitationView(PasswordResetConfirmView):
    """The invitation (and password reset) link. A new member of staff sets a password and is
    taken straight on to set up a second factor; someone who already has one signs in."""

    template_name = "staff/password_reset_confirm.html"
    success_url = reverse_lazy("staff:password-reset-complete")

    def form_valid(self, form) -> HttpResponse:
        user = form.save()
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        if has_second_factor(user):
            # The link proves the mailbox, not the second factor: sign in as usual.
            return HttpResponseRedirect(self.get_success_url())
        messages.success(
            self.request,
            "Your password is set. Now set up a second factor: a passkey or an authenticator app.",
        )
        return staff_sign_in(request=self.request, user=user, redirect_url=reverse("mfa_index"))


def school_sign_in_start(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start a school sign-in from the sign-in page's button (a POST with its CSRF token).

    allauth would answer a GET with a confirmation page of its own, whose form the browser may
    not send on to the school's provider (its `form-action` names only this site): the sign-in
    page is the one place a school sign-in starts.
    """
    if request.method != "POST":
        return redirect("staff:login")
    return oidc_views.login(request, provider_id=provider_id)
