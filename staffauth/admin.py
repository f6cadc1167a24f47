from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import render

from schoolconduct.admin import ReadOnlyAdmin, ReadOnlyMixin
from schools.admin import StaffUserAdmin

from .models import SchoolSignIn, SecondFactorReset
from .services import second_factor_reset


@admin.register(SchoolSignIn)
class SchoolSignInAdmin(admin.ModelAdmin):
    list_display = ("app", "school", "trust", "email_domain", "issuer_verifies_email")
    list_filter = ("trust",)


@admin.register(SecondFactorReset)
class SecondFactorResetAdmin(ReadOnlyAdmin):
    """The log of lost-device resets: read-only, nothing can be added, changed or deleted."""

    list_display = ("at", "actor", "user", "removed", "reason")
    list_filter = ("at",)
    search_fields = ("user__username", "actor__username", "reason")
    readonly_fields = ("at", "actor", "user", "removed", "reason")


# Who has set up which factor, for administrators to see; removing one goes through the logged
# reset on the user, never a silent delete here.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class ReadOnlyAuthenticatorAdmin(ReadOnlyMixin, AuthenticatorAdmin):
    search_fields = ("user__username", "user__email")


class ResetReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="For the log, e.g. 'Phone lost; identity checked in person by J. Smith'.",
    )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserWithSecondFactorAdmin(StaffUserAdmin):
    actions = [*StaffUserAdmin.actions, "reset_second_factor"]

    @admin.action(description="Reset two-factor sign-in (lost phone or key)")
    def reset_second_factor(self, request, queryset):
        form = ResetReasonForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            return render(
                request,
                "admin/staffauth/reset_second_factor.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Reset two-factor sign-in",
                    "users": queryset,
                    "form": form,
                    "action": "reset_second_factor",
                    "opts": self.model._meta,
                },
            )
        for user in queryset:
            second_factor_reset(actor=request.user, user=user, reason=form.cleaned_data["reason"])
        self.message_user(
            request,
            f"Reset two-factor sign-in for {queryset.count()} user(s): they are signed out and "
            "set up a new second factor at their next sign-in. Recorded in the reset log.",
            messages.SUCCESS,
        )
        return None
