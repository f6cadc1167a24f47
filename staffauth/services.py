"""Staff sign-in rules: who has proved a second factor, who a school's sign-in may let in,
and an administrator's reset of a lost phone or key.

allauth runs the flows (password, second-factor step, passkeys, OpenID Connect); these
functions hold our decisions on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from allauth.account.internal.flows.login import (
    get_authentication_records,
    perform_login,
    record_authentication,
)
from allauth.account.models import Login
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from schools.models import Membership, TrustMembership

from .models import SchoolSignIn, SecondFactorReset

SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class SignInRefused(Exception):
    """A school sign-in that must not let this person in; the message is shown to them."""


def has_second_factor(user: AbstractBaseUser) -> bool:
    """Has the user set up an authenticator app or a passkey?"""
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def session_has_two_factors(request: HttpRequest) -> bool:
    """Did this session prove a second factor? A code or a passkey at sign-in; the school's own
    sign-in (whose multi-factor policy the school enforces at its identity provider); or
    setting up an authenticator app or passkey during this session, which proves it too."""
    records = get_authentication_records(request, request.user)
    if any(r.get("method") in ("mfa", "socialaccount") for r in records):
        return True
    signed_in_at = min((r["at"] for r in records if "at" in r), default=None)
    if signed_in_at is None:
        return False
    return Authenticator.objects.filter(
        user_id=request.user.pk,
        type__in=SECOND_FACTORS,
        created_at__gte=datetime.fromtimestamp(signed_in_at, tz=UTC),
    ).exists()


def staff_sign_in(
    *, request: HttpRequest, user: AbstractBaseUser, redirect_url: str
) -> HttpResponse:
    """Continue a correct password through allauth: the second-factor step if the user has one,
    then sign in. The password is recorded as this session's first factor, and as recent enough
    (allauth's REAUTHENTICATION_TIMEOUT) to set up a second factor without typing it again."""
    record_authentication(
        request, user, method="password", username=user.get_username(), reauthenticated=True
    )
    return perform_login(request, Login(user=user, redirect_url=redirect_url))


def _in_scope(user: AbstractBaseUser, sign_in: SchoolSignIn) -> bool:
    """Is the user staff of the school (or of a school in the trust, or its executive)?"""
    memberships = Membership.objects.filter(user_id=user.pk, school__is_active=True)
    if sign_in.school_id:
        return memberships.filter(school_id=sign_in.school_id).exists()
    trust_id = sign_in.trust_id or 0
    return (
        memberships.filter(school__trust_id=trust_id).exists()
        or TrustMembership.objects.filter(user_id=user.pk, trust_id=trust_id).exists()
    )


@dataclass(frozen=True)
class SchoolAccount:
    """What the school's identity provider said about the person signing in."""

    app_id: int
    email: str
    email_verified: bool


def school_sign_in_user(*, account: SchoolAccount, connected_user=None) -> AbstractBaseUser:
    """The invited member of staff a school sign-in may sign in as; `SignInRefused` otherwise.

    Only an existing, active user whose address is exactly the one the school's identity
    provider vouches for, at the sign-in's own domain, with a role at its school or trust. No
    account is ever created. `connected_user` is the user this provider account was linked to at
    an earlier sign-in: they must still pass every check.
    """
    sign_in = SchoolSignIn.objects.filter(app_id=account.app_id).first()
    if sign_in is None:
        raise SignInRefused("This sign-in is not set up for any school.")
    email = account.email.strip()
    local, _, domain = email.rpartition("@")
    if not local or domain.lower() != sign_in.email_domain:
        raise SignInRefused(
            f"Only {sign_in.email_domain} accounts can sign in here. Sign in with your school "
            "account, or with your username and password."
        )
    if not (account.email_verified or sign_in.issuer_verifies_email):
        raise SignInRefused("Your school's sign-in did not confirm your email address.")
    users = get_user_model().objects.filter(is_active=True, email__iexact=email)
    if connected_user is not None:
        users = users.filter(pk=connected_user.pk)
    candidates = [u for u in users[:2] if _in_scope(u, sign_in)]
    if len(candidates) != 1:
        # Unknown, not invited, inactive, staff of another school, or two accounts sharing an
        # address: no access, and no account is created.
        raise SignInRefused(
            "There is no SchoolConduct staff account for this address. Ask your administrator "
            "for an invitation."
        )
    return candidates[0]


def _end_sessions(user: AbstractBaseUser) -> int:
    """Sign the user out everywhere: sessions are in the database (settings), so decode them."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def second_factor_reset(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, reason: str = ""
) -> SecondFactorReset:
    """Remove a user's authenticator app, passkeys and recovery codes (a lost device), sign them
    out everywhere, and log who did it for whom. They set up a new factor at their next sign-in.
    """
    with transaction.atomic():
        authenticators = Authenticator.objects.select_for_update().filter(user_id=user.pk)
        kinds = sorted({a.type for a in authenticators})
        authenticators.delete()
        entry = SecondFactorReset.objects.create(
            actor_id=actor.pk,
            user_id=user.pk,
            removed=", ".join(kinds) or "nothing",
            reason=reason.strip(),
        )
        _end_sessions(user)
    return entry
