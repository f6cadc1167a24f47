"""allauth adapters: no sign-up anywhere, a school sign-in only for invited staff, and
second-factor secrets encrypted at rest."""

from __future__ import annotations

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from .services import SchoolAccount, SignInRefused, school_sign_in_user


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by an administrator and accepted through an invitation.
        return False


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        """Map the school's account onto the invited member of staff, or refuse (403)."""
        data = sociallogin.account.extra_data or {}
        userinfo = data.get("userinfo") or data.get("id_token") or data
        email = str(userinfo.get("email") or "")
        verified = any(
            a.verified and a.email.lower() == email.lower() for a in sociallogin.email_addresses
        )
        connected = sociallogin.user if sociallogin.is_existing else None
        try:
            user = school_sign_in_user(
                account=SchoolAccount(
                    app_id=sociallogin.provider.app.pk, email=email, email_verified=verified
                ),
                connected_user=connected,
            )
        except SignInRefused as refused:
            raise ImmediateHttpResponse(
                render(request, "staff/sign_in_refused.html", {"reason": str(refused)}, status=403)
            ) from refused
        if connected is None:
            # Link the provider's account (its subject id) to the invited user.
            sociallogin.connect(request, user)


def _fernet() -> MultiFernet:
    """Fernet (the `cryptography` package) over MFA_ENCRYPTION_KEYS: the first key encrypts,
    every key decrypts, so an old key stays in the list while secrets are re-encrypted."""
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
            for key in settings.MFA_ENCRYPTION_KEYS
        ]
    )


class StaffMFAAdapter(DefaultMFAAdapter):
    """Authenticator-app secrets and recovery-code seeds are encrypted in the database."""

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()
